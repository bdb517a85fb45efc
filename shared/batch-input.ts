/**
 * Reading a batch job's payload into rows, as a stream: plain text (one item, however long: the
 * pipeline cuts it into parts), `{"items": [...]}` JSON (bounded by the Worker's body limit, read
 * whole), CSV (RFC 4180, a `text` column and an optional `id`) and JSON lines, both read chunk by
 * chunk so memory does not grow with the file. A malformed row is that row's error (its line and
 * reason); only a file that cannot be read at all (no header, no text column, an unterminated
 * quote that swallows the rest) throws InvalidInputError. The text itself is never quoted in a
 * message.
 */
import type { JobFormat } from "./jobs.ts";

export interface InputItem {
  id: string;
  text: string;
}

/** One row of the input: its line (1-based, where the row starts) and its item, or why it is not one. */
export type InputRow = { line: number; id: string; text: string } | { line: number; id: string; error: string };

export class InvalidInputError extends Error {
  override readonly name = "InvalidInputError";
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}

/** The rows of a payload given as text chunks (decoded UTF-8), in order. */
export async function* readJobRows(format: JobFormat, chunks: AsyncIterable<string>): AsyncGenerator<InputRow> {
  switch (format) {
    case "text": {
      // One document is one item, however long: the pipeline cuts it into parts and combines them.
      let body = "";
      for await (const chunk of chunks) body += chunk;
      yield { line: 1, id: "1", text: body };
      return;
    }
    case "items": {
      let body = "";
      for await (const chunk of chunks) body += chunk;
      yield* itemsJson(body);
      return;
    }
    case "csv":
      yield* csvItems(chunks);
      return;
    case "jsonl":
      yield* jsonLines(chunks);
      return;
  }
}

/** The whole payload at once (small inputs and tests). */
export async function parseJobInput(format: JobFormat, body: string): Promise<InputRow[]> {
  const rows: InputRow[] = [];
  for await (const row of readJobRows(format, once(body))) rows.push(row);
  return rows;
}

export async function* once(body: string): AsyncGenerator<string> {
  yield body;
}

function* itemsJson(body: string): Generator<InputRow> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new InvalidInputError("the body is not valid JSON");
  }
  const items = (value as { items?: unknown })?.items;
  if (!Array.isArray(items)) throw new InvalidInputError('expected {"items": [{"id"?, "text"}]}');
  for (let i = 0; i < items.length; i++) yield toRow(items[i], i + 1, i + 1, `items[${i}]: `);
}

/** Bytes (an S3 object's body) as text, decoded across chunk bounds; a BOM is dropped. */
export async function* utf8Chunks(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  for await (const chunk of body) {
    const text = decoder.decode(chunk, { stream: true });
    if (text) yield text;
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}

/** Splits chunks into lines (LF or CRLF), numbered from 1. */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<{ line: number; text: string }> {
  let rest = "";
  let line = 0;
  for await (const chunk of chunks) {
    const text = rest ? rest + chunk : chunk;
    let start = 0;
    let at: number;
    while ((at = text.indexOf("\n", start)) >= 0) {
      const end = at > start && text.charCodeAt(at - 1) === 13 ? at - 1 : at;
      yield { line: ++line, text: text.slice(start, end) };
      start = at + 1;
    }
    rest = text.slice(start);
  }
  if (rest) yield { line: ++line, text: rest.endsWith("\r") ? rest.slice(0, -1) : rest };
}

async function* jsonLines(chunks: AsyncIterable<string>): AsyncGenerator<InputRow> {
  let count = 0;
  for await (const { line, text } of lines(chunks)) {
    if (!text.trim()) continue;
    count++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, id: String(count), error: "not valid JSON" };
      continue;
    }
    yield toRow(value, count, line);
  }
}

function toRow(value: unknown, position: number, line: number, where = ""): InputRow {
  const v = value as { id?: unknown; text?: unknown } | null;
  const id = typeof v === "object" && v !== null && (typeof v.id === "string" || typeof v.id === "number") ? String(v.id) : String(position);
  if (typeof v !== "object" || v === null || typeof v.text !== "string") return { line, id, error: `${where}expected an object with a string "text"` };
  if (v.id !== undefined && typeof v.id !== "string" && typeof v.id !== "number") return { line, id, error: `${where}"id" must be a string or a number` };
  return { line, id, text: v.text };
}

async function* csvItems(chunks: AsyncIterable<string>): AsyncGenerator<InputRow> {
  let names: string[] | undefined;
  let textAt = -1;
  let idAt = -1;
  let count = 0;
  for await (const row of csvRecords(chunks)) {
    if (!names) {
      names = row.fields.map((f, i) => (i === 0 ? f.replace(/^\uFEFF/, "") : f).trim().toLowerCase());
      textAt = names.indexOf("text");
      idAt = names.indexOf("id");
      if (textAt < 0) throw new InvalidInputError('the header has no "text" column', row.line);
      continue;
    }
    if (row.fields.length === 1 && row.fields[0] === "" && !row.error) continue; // a blank line
    count++;
    const id = idAt >= 0 && row.fields[idAt] ? row.fields[idAt]! : String(count);
    if (row.error) yield { line: row.line, id, error: row.error };
    else if (row.fields.length !== names.length) yield { line: row.line, id, error: `expected ${names.length} fields, found ${row.fields.length}` };
    else yield { line: row.line, id, text: row.fields[textAt]! };
  }
  if (!names) throw new InvalidInputError("the CSV is empty", 1);
}

/**
 * RFC 4180 records from chunks: fields separated by commas, quoted with "", "" inside quotes,
 * CRLF or LF. A stray quote makes that record's error (the rest of its line is skipped); a quote
 * never closed leaves nothing readable after it, so the file is refused.
 */
async function* csvRecords(chunks: AsyncIterable<string>): AsyncGenerator<{ line: number; fields: string[]; error?: string }> {
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let afterQuote = false;
  let error: string | undefined;
  // A chunk that ends on a CR, or on a quote inside a quoted field, is decided by the next one.
  let pendingCr = false;
  let pendingQuote = false;
  const endRecord = () => {
    fields.push(field);
    const record = { line: rowLine, fields, ...(error ? { error } : {}) };
    fields = [];
    field = "";
    afterQuote = false;
    error = undefined;
    line++;
    rowLine = line;
    return record;
  };
  for await (const chunk of chunks) {
    const records: { line: number; fields: string[]; error?: string }[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (pendingCr) {
        pendingCr = false;
        if (ch === "\n") continue;
      }
      if (pendingQuote) {
        pendingQuote = false;
        if (ch === '"') {
          field += '"';
          continue;
        }
        quoted = false;
        afterQuote = true;
      }
      if (quoted) {
        if (ch === '"') {
          if (i + 1 === chunk.length) pendingQuote = true;
          else if (chunk[i + 1] === '"') {
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
      if (ch === "\n" || ch === "\r") {
        if (ch === "\r") {
          if (i + 1 === chunk.length) pendingCr = true;
          else if (chunk[i + 1] === "\n") i++;
        }
        records.push(endRecord());
      } else if (error) {
        // The rest of a broken record's line is skipped.
      } else if (ch === '"') {
        if (field !== "" || afterQuote) error = "a quote inside an unquoted field";
        else {
          quoted = true;
          quoteLine = line;
        }
      } else if (ch === ",") {
        fields.push(field);
        field = "";
        afterQuote = false;
      } else if (afterQuote) {
        error = "text after a closing quote";
      } else {
        field += ch;
      }
    }
    yield* records;
  }
  if (pendingQuote) quoted = false;
  if (quoted) throw new InvalidInputError("unterminated quoted field", quoteLine);
  if (field !== "" || fields.length > 0 || error) yield endRecord();
}
