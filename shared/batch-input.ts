/**
 * Reading a batch job's payload into items: plain text (one item, however long: the pipeline
 * cuts it into parts), `{"items": [...]}` JSON, CSV (RFC 4180, a `text` column and an optional `id`) and
 * JSON lines. Malformed input throws InvalidInputError naming the line; the text itself is never
 * quoted in the message.
 */
import type { JobFormat } from "./jobs.ts";

export interface InputItem {
  id: string;
  text: string;
}

export class InvalidInputError extends Error {
  override readonly name = "InvalidInputError";
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}

export function parseJobInput(format: JobFormat, body: string): InputItem[] {
  switch (format) {
    case "text":
      // One document is one item, however long: the pipeline cuts it into parts and combines them.
      return [{ id: "1", text: body }];
    case "items":
      return parseItemsJson(body);
    case "csv":
      return parseCsv(body);
    case "jsonl":
      return parseJsonLines(body);
  }
}

function parseItemsJson(body: string): InputItem[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new InvalidInputError("the body is not valid JSON");
  }
  const items = (value as { items?: unknown })?.items;
  if (!Array.isArray(items)) throw new InvalidInputError("expected {\"items\": [{\"id\"?, \"text\"}]}");
  return items.map((item, i) => toItem(item, i, `items[${i}]`));
}

function parseJsonLines(body: string): InputItem[] {
  const items: InputItem[] = [];
  body.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new InvalidInputError("not valid JSON", i + 1);
    }
    items.push(toItem(value, items.length, undefined, i + 1));
  });
  return items;
}

function toItem(value: unknown, index: number, where?: string, line?: number): InputItem {
  const v = value as { id?: unknown; text?: unknown } | null;
  if (typeof v !== "object" || v === null || typeof v.text !== "string") {
    throw new InvalidInputError(`${where ? `${where}: ` : ""}expected an object with a string "text"`, line);
  }
  if (v.id !== undefined && typeof v.id !== "string" && typeof v.id !== "number") {
    throw new InvalidInputError(`${where ? `${where}: ` : ""}"id" must be a string or a number`, line);
  }
  return { id: v.id === undefined ? String(index + 1) : String(v.id), text: v.text };
}

/** RFC 4180: fields separated by commas, quoted with "", "" inside quotes; CRLF or LF. */
function parseCsv(body: string): InputItem[] {
  const rows = csvRows(body.replace(/^\uFEFF/, ""));
  const header = rows.shift();
  if (!header) throw new InvalidInputError("the CSV is empty", 1);
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const textAt = names.indexOf("text");
  const idAt = names.indexOf("id");
  if (textAt < 0) throw new InvalidInputError('the header has no "text" column', header.line);
  return rows
    .filter((r) => !(r.fields.length === 1 && r.fields[0] === ""))
    .map((row, i) => {
      if (row.fields.length !== names.length) {
        throw new InvalidInputError(`expected ${names.length} fields, found ${row.fields.length}`, row.line);
      }
      return { id: idAt >= 0 && row.fields[idAt] !== "" ? row.fields[idAt]! : String(i + 1), text: row.fields[textAt]! };
    });
}

function csvRows(body: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let afterQuote = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '"') {
        if (body[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          afterQuote = true;
        }
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"') {
      if (field !== "" || afterQuote) throw new InvalidInputError("a quote inside an unquoted field", line);
      quoted = true;
      quoteLine = line;
    } else if (ch === ",") {
      fields.push(field);
      field = "";
      afterQuote = false;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && body[i + 1] === "\n") i++;
      fields.push(field);
      rows.push({ line: rowLine, fields });
      fields = [];
      field = "";
      afterQuote = false;
      line++;
      rowLine = line;
    } else {
      if (afterQuote) throw new InvalidInputError("text after a closing quote", line);
      field += ch;
    }
  }
  if (quoted) throw new InvalidInputError("unterminated quoted field", quoteLine);
  if (field !== "" || fields.length > 0) {
    fields.push(field);
    rows.push({ line: rowLine, fields });
  }
  return rows;
}
