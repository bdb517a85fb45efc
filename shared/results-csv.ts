/**
 * A job's per-row results as CSV (RFC 4180, CRLF), one row per input row: written by aggregate
 * beside results.jsonl, so CSV of any size is served (or redirected to) straight from S3.
 *
 * The CSV is opened in spreadsheets, and its text cells carry what users sent (ids, error
 * messages): a text cell a spreadsheet would read as a formula (leading =, +, -, @, tab or
 * carriage return) gets a leading ' inside a quoted cell, as OWASP's CSV-injection guidance
 * says, and control characters are dropped. Numeric and boolean columns stay as they are.
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

// C0 and C1 controls and DEL, except tab, line feed and carriage return (quoted, they are text).
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const FORMULA_START = /^[=+\-@\t\r]/;

const quoted = (text: string) => `"${text.replace(/"/g, '""')}"`;

/** A number or boolean, written as is. */
function valueCell(value: number | boolean | undefined): string {
  return value === undefined ? "" : String(value);
}

/** A text cell, neutralised: a spreadsheet shows it, never runs it. */
function textCell(value: string | undefined): string {
  const text = (value ?? "").replace(CONTROL_CHARACTERS, "");
  if (FORMULA_START.test(text)) return quoted(`'${text}`);
  return /[",\r\n\t]/.test(text) ? quoted(text) : text;
}

export const resultCsvHeader = () => RESULT_CSV_COLUMNS.join(",") + "\r\n";

export function resultCsvRow(r: JobItemResult): string {
  const pii = Object.entries(r.pii_types ?? {}).map(([type, n]) => `${type}:${n}`).join(" ");
  const cells = [
    textCell(r.id),
    valueCell(r.line),
    textCell(r.sentiment),
    valueCell(r.score),
    valueCell(r.scores?.positive),
    valueCell(r.scores?.negative),
    valueCell(r.scores?.neutral),
    valueCell(r.scores?.mixed),
    textCell(r.language_code),
    textCell(r.language_source),
    valueCell(r.pii_detected),
    textCell(pii),
    textCell(r.error?.code),
    textCell(r.error?.message),
  ];
  return cells.join(",") + "\r\n";
}
