/**
 * A Comprehend sentiment job's output, read as a stream: output.tar.gz holds JSON lines, one per
 * input line, `{"File", "Line", "Sentiment", "SentimentScore"}` or `{"File", "Line", "ErrorCode",
 * "ErrorMessage"}`. Nothing of the archive is held beyond the current line.
 */
import { createGunzip } from "node:zlib";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import type { SentimentScore } from "../../../shared/comprehend.ts";
import { lines, utf8Chunks } from "../../../shared/batch-input.ts";

export interface SentimentOutputLine {
  File: string;
  Line: number;
  Sentiment?: string;
  SentimentScore?: SentimentScore;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export async function* sentimentOutputLines(archive: AsyncIterable<Uint8Array>): AsyncGenerator<SentimentOutputLine> {
  const entries = extract();
  Readable.from(archive).pipe(createGunzip()).on("error", (err) => entries.destroy(err)).pipe(entries);
  for await (const entry of entries) {
    if (entry.header.type !== "file") {
      entry.resume();
      continue;
    }
    for await (const { text } of lines(utf8Chunks(entry as AsyncIterable<Uint8Array>))) {
      if (text.trim()) yield JSON.parse(text) as SentimentOutputLine;
    }
  }
}
