/** A job's results (JSON lines) as CSV, row by row as they stream. */
export const RESULT_CSV_COLUMNS = ["id", "sentiment", "score", "positive", "negative", "neutral", "mixed", "language_code", "pii_detected", "error_code"] as const;

function csvField(value: unknown): string {
  const text = value === undefined || value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function jsonLinesToCsv(): TransformStream<string, string> {
  let rest = "";
  const row = (line: string) => {
    const r = JSON.parse(line) as Record<string, any>;
    const values = [r.id, r.sentiment, r.score, r.scores?.positive, r.scores?.negative, r.scores?.neutral, r.scores?.mixed, r.language_code, r.pii_detected, r.error?.code];
    return values.map(csvField).join(",") + "\r\n";
  };
  return new TransformStream({
    start(controller) {
      controller.enqueue(RESULT_CSV_COLUMNS.join(",") + "\r\n");
    },
    transform(chunk, controller) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) controller.enqueue(row(line));
    },
    flush(controller) {
      if (rest.trim()) controller.enqueue(row(rest));
    },
  });
}
