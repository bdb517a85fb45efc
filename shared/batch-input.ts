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

/**
 * One row of the input: its line (1-based, where the row starts), its place among the rows
 * (1-based: the id of a row that gives none), the id it gives, and its text or why it is not one.
 */
export type InputRow = { line: number; row: number; id?: string; text: string } | { line: number; row: number; id?: string; error: string };

/** The row's id: the one it gives, or its place among the rows. */
export const rowId = (row: { row: number; id?: string }, rowsBefore = 0): string => row.id ?? String(row.row + rowsBefore);

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
      yield { line: 1, row: 1, text: body };
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
      yield { line, row: count, error: "not valid JSON" };
      continue;
    }
    yield toRow(value, count, line);
  }
}

function toRow(value: unknown, position: number, line: number, where = ""): InputRow {
  const v = value as { id?: unknown; text?: unknown } | null;
  const id = typeof v === "object" && v !== null && (typeof v.id === "string" || typeof v.id === "number") ? { id: String(v.id) } : {};
  if (typeof v !== "object" || v === null || typeof v.text !== "string") return { line, row: position, ...id, error: `${where}expected an object with a string "text"` };
  if (v.id !== undefined && typeof v.id !== "string" && typeof v.id !== "number") return { line, row: position, error: `${where}"id" must be a string or a number` };
  return { line, row: position, ...id, text: v.text };
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
    const id = idAt >= 0 && row.fields[idAt] ? row.fields[idAt] : undefined;
    const out: InputRow =
      row.error !== undefined
        ? { line: row.line, row: count, error: row.error }
        : row.fields.length !== names.length
          ? { line: row.line, row: count, error: `expected ${names.length} fields, found ${row.fields.length}` }
          : { line: row.line, row: count, text: row.fields[textAt]! };
    if (id !== undefined) out.id = id;
    yield out;
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

const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

/**
 * Where an upload may be cut into parts that, each read on its own (a CSV part after the first
 * with the header put back in front), give exactly the rows of the whole: just past a line break
 * that ends a row. For JSON lines any LF; for CSV an LF outside quotes, found with the same rules
 * csvRecords reads by (a quote opens only at a field's start; after a stray quote the rest of the
 * line is skipped; CRLF is one break). Read as bytes, since quotes, commas and line breaks are
 * ASCII and never inside a UTF-8 sequence, so the offsets are the object's own, for ranged reads.
 */
export class RowBoundaries {
  /** Bytes read so far. */
  offset = 0;
  /** The line the next row starts on (as the parsers number lines). */
  line = 1;
  /** Rows ended so far (blank ones too). */
  rows = 0;
  private quoted = false;
  private quoteLine = 0;
  private afterQuote = false;
  private fieldEmpty = true;
  private error = false;
  private pendingQuote = false;
  private afterCr = false;

  constructor(private readonly format: "csv" | "jsonl") {}

  /** Reads the next bytes; `rowEnd(offset)` is called just past each LF that ends a row. */
  push(chunk: Uint8Array, rowEnd: (offset: number) => void): void {
    const base = this.offset;
    this.offset += chunk.length;
    if (this.format === "jsonl") {
      for (let at = chunk.indexOf(LF); at >= 0; at = chunk.indexOf(LF, at + 1)) {
        this.line++;
        this.rows++;
        rowEnd(base + at + 1);
      }
      return;
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (b === QUOTE) {
          this.fieldEmpty = false;
          continue;
        }
        this.quoted = false;
        this.afterQuote = true;
      }
      if (this.quoted) {
        if (b === QUOTE) {
          if (i + 1 === chunk.length) this.pendingQuote = true;
          else if (chunk[i + 1] === QUOTE) {
            this.fieldEmpty = false;
            i++;
          } else {
            this.quoted = false;
            this.afterQuote = true;
          }
        } else {
          if (b === LF) this.line++;
          this.fieldEmpty = false;
        }
        continue;
      }
      if (b === LF) {
        // The LF of a CRLF: its row ended at the CR.
        if (!this.afterCr) this.endRow();
        this.afterCr = false;
        rowEnd(base + i + 1);
        continue;
      }
      this.afterCr = false;
      if (b === CR) {
        this.endRow();
        this.afterCr = true;
      } else if (this.error) {
        // The rest of a broken row's line is skipped.
      } else if (b === QUOTE) {
        if (!this.fieldEmpty || this.afterQuote) this.error = true;
        else {
          this.quoted = true;
          this.quoteLine = this.line;
        }
      } else if (b === COMMA) {
        this.fieldEmpty = true;
        this.afterQuote = false;
      } else if (this.afterQuote) {
        this.error = true;
      } else {
        this.fieldEmpty = false;
      }
    }
  }

  /** At the end of the bytes: a quote never closed leaves nothing readable after it (as csvRecords refuses it). */
  end(): void {
    if (this.quoted && !this.pendingQuote) throw new InvalidInputError("unterminated quoted field", this.quoteLine);
  }

  private endRow(): void {
    this.line++;
    this.rows++;
    this.fieldEmpty = true;
    this.afterQuote = false;
    this.error = false;
  }
}
