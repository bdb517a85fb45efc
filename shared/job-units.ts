/**
 * What a job may bill, estimated before any work is done: the units a job is charged when it is
 * submitted (settled to what it really billed when it ends), and the most it may spend: prepare
 * ends a job whose distinct texts would bill more FAILED (UNITS_OVER_RESERVATION) before any
 * Comprehend call, so a job never spends past what its key's plan let it reserve.
 *
 * The bound, per row of c characters (b bytes) cut into p parts of at most 5,000 bytes: each
 * part bills max(3, ceil(c_i / 100)) <= 3 + c_i / 100, so the row bills at most 3p + c / 100;
 * the chunker fills parts up to 5,000 bytes, so two neighbours hold more than 5,000 bytes and
 * p <= b / 2,500 + 1. De-duplication and the cache only lower what is billed.
 */
import { InvalidInputError, once, readJobRows } from "./batch-input.ts";
import { MAX_SENTIMENT_BYTES, billingUnits, characterCount, utf8Bytes } from "./comprehend.ts";
import type { JobFormat } from "./jobs.ts";

/** Room for redaction tags longer than what they replace (`a@b.io` -> `[EMAIL]`). */
const REDACTION_ALLOWANCE = 1.02;
/** Bytes per part, on average, of a text cut into parts (see above). */
const MIN_AVERAGE_PART_BYTES = MAX_SENTIMENT_BYTES / 2;
/** Without a declared row count, an upload is taken to hold a row every this many bytes (a short review and its id). */
export const ASSUMED_ROW_BYTES = 64;

/** The most one text can bill, as if no other row shared it. */
export function textUnitsBound(text: string): number {
  const bytes = utf8Bytes(text);
  if (bytes <= MAX_SENTIMENT_BYTES) return billingUnits(text);
  return 3 * (Math.ceil(bytes / MIN_AVERAGE_PART_BYTES) + 1) + Math.ceil(characterCount(text) / 100);
}

/** A sum of texts' units with room for redaction tags: what a job is charged. */
export const withAllowance = (units: number) => Math.ceil(units * REDACTION_ALLOWANCE) + 3;

/**
 * An inline body's estimate (every row counted as distinct) and whether it has more than
 * `maxRows` rows, in one read by the reader prepare uses. A body the reader refuses is not
 * analysed at all (its job fails as unreadable): what was read before is what is estimated.
 */
export async function estimateInlineJob(format: JobFormat, body: string, maxRows: number): Promise<{ units: number; rows: number; tooManyRows: boolean }> {
  let units = 0;
  let rows = 0;
  try {
    for await (const row of readJobRows(format, once(body))) {
      if (++rows > maxRows) return { units: withAllowance(units), rows, tooManyRows: true };
      if ("text" in row) units += textUnitsBound(row.text.trim());
    }
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
  }
  return { units: withAllowance(units), rows, tooManyRows: false };
}

/** An upload's estimate from its declared size, and its declared row count when given (else a row every ASSUMED_ROW_BYTES). */
export function estimateUploadJob(bytes: number, rows?: number): number {
  const rowCount = rows ?? Math.ceil(bytes / ASSUMED_ROW_BYTES);
  return withAllowance(3 * rowCount + Math.ceil(bytes / 100) + 3 * Math.ceil(bytes / MIN_AVERAGE_PART_BYTES));
}
