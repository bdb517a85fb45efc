/**
 * A job's per-row results as CSV (RFC 4180, CRLF), one row per input row: written by aggregate
 * beside results.jsonl, so CSV of any size is served (or redirected to) straight from S3.
 */
import type { JobItemResult } from "./schemas.ts";

export const RESULT_CSV_COLUMNS = [
  "id",
  "line",
  "sentiment",
  "score",
  "positive",
  "negative",
  "neutral",
  "mixed",
  "language_code",
  "language_source",
  "pii_detected",
  "pii_types",
  "error_code",
  "error_message",
] as const;

function csvField(value: unknown): string {
  const text = value === undefined || value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const resultCsvHeader = () => RESULT_CSV_COLUMNS.join(",") + "\r\n";

export function resultCsvRow(r: JobItemResult): string {
  const pii = Object.entries(r.pii_types ?? {}).map(([type, n]) => `${type}:${n}`).join(" ");
  const values = [r.id, r.line, r.sentiment, r.score, r.scores?.positive, r.scores?.negative, r.scores?.neutral, r.scores?.mixed, r.language_code, r.language_source, r.pii_detected, pii, r.error?.code, r.error?.message];
  return values.map(csvField).join(",") + "\r\n";
}
