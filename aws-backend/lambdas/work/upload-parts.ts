/**
 * An upload cut into parts that are prepared side by side (the state machine's PrepareParts
 * Distributed Map), so no single Lambda reads more than a part's rows in its 15 minutes. The cuts
 * fall just past a row's line break (shared/batch-input.ts RowBoundaries), so each part, read on
 * its own (a CSV part after the first with the header put back in front), gives exactly the rows
 * the whole file would.
 */
import { RowBoundaries } from "../../../shared/batch-input.ts";

/** A part: bytes [start, end) of the upload, its first row starting on `first_line`. */
export interface UploadPart {
  index: number;
  start: number;
  end: number;
  first_line: number;
}

export interface UploadPlan {
  parts: UploadPart[];
  header_end: number;
  header_lines: number;
}

export interface PartLimits {
  /** Rows in a part at most (the header not counted). */
  maxRows: number;
  /** Bytes in a part at most, unless one row is longer. */
  maxBytes: number;
}

/**
 * One part a Lambda prepares well inside its 15 minutes: prepare reads ~13,000 short rows a second
 * on one core here (npm run bench:batch), a 512 MB Lambda has about a third of a vCPU: ~4,000 rows
 * a second, 1,000,000 rows in ~4 minutes. 128 MiB bounds the bytes when rows are long.
 */
export const PART_LIMITS: PartLimits = { maxRows: 1_000_000, maxBytes: 128 * 1024 * 1024 };

/** A file this small cannot hold more rows or bytes than one part (a row takes 2 bytes at least): it is not read to be cut. */
export const fitsOnePart = (size: number, limits: PartLimits) => size <= Math.min(limits.maxBytes, 2 * limits.maxRows);

/**
 * The parts of a CSV or JSON-lines upload, read once as bytes; and, for CSV, where the header
 * ends and the lines it takes (every part after the first is read with bytes [0, header_end) in
 * front, so its rows' lines are shifted by header_lines). Throws
 * InvalidInputError for a quote never closed, as reading the whole would.
 */
export async function planParts(
  format: "csv" | "jsonl",
  body: AsyncIterable<Uint8Array>,
  size: number,
  limits: PartLimits,
): Promise<UploadPlan> {
  const rows = new RowBoundaries(format);
  const parts: UploadPart[] = [];
  let headerEnd = format === "csv" ? -1 : 0;
  let headerLines = 0;
  let start = 0;
  let startRows = 0;
  let firstLine = 1;
  const rowEnd = (offset: number) => {
    if (headerEnd < 0) {
      headerEnd = offset;
      headerLines = rows.line - 1;
      startRows = rows.rows;
      return;
    }
    if (offset >= size || (rows.rows - startRows < limits.maxRows && offset - start < limits.maxBytes)) return;
    parts.push({ index: parts.length, start, end: offset, first_line: firstLine });
    start = offset;
    startRows = rows.rows;
    firstLine = rows.line;
  };
  for await (const chunk of body) rows.push(chunk, rowEnd);
  rows.end();
  parts.push({ index: parts.length, start, end: size, first_line: firstLine });
  return { parts, header_end: Math.max(headerEnd, 0), header_lines: headerLines };
}
