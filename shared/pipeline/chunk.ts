/**
 * Splits a text into parts of at most `maxBytes` UTF-8 bytes, cutting at sentence bounds
 * (Intl.Segmenter), then at word bounds for an over-long sentence, then between code points
 * as a last resort. Joining the parts gives back the text exactly.
 */
import { utf8Bytes } from "../comprehend.ts";

export function chunkText(text: string, maxBytes: number, locale = "en"): string[] {
  if (utf8Bytes(text) <= maxBytes) return [text];
  const sentences = segments(text, locale, "sentence");
  const chunks: string[] = [];
  let current = "";
  for (const sentence of sentences) {
    if (utf8Bytes(current + sentence) <= maxBytes) {
      current += sentence;
      continue;
    }
    if (current) chunks.push(current);
    current = "";
    if (utf8Bytes(sentence) <= maxBytes) {
      current = sentence;
      continue;
    }
    // A sentence longer than a part: words, then code points.
    for (const piece of splitLong(sentence, maxBytes, locale)) {
      if (utf8Bytes(current + piece) <= maxBytes) current += piece;
      else {
        if (current) chunks.push(current);
        current = piece;
      }
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

function splitLong(sentence: string, maxBytes: number, locale: string): string[] {
  const out: string[] = [];
  for (const word of segments(sentence, locale, "word")) {
    if (utf8Bytes(word) <= maxBytes) {
      out.push(word);
      continue;
    }
    let piece = "";
    for (const codePoint of word) {
      if (utf8Bytes(piece + codePoint) > maxBytes) {
        out.push(piece);
        piece = "";
      }
      piece += codePoint;
    }
    if (piece) out.push(piece);
  }
  return out;
}

/** Intl.Segmenter's sentence breaking grows quadratically with the string (V8/ICU: 100 k
 * characters 0.09 s, 400 k 4.3 s), so long texts are segmented a window at a time; a window's
 * last sentence may be cut by the window, so it is segmented again with the next one. */
const WINDOW = 16_384;

function segments(text: string, locale: string, granularity: "sentence" | "word"): string[] {
  const segmenter = new Intl.Segmenter(locale, { granularity });
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + WINDOW);
    // Never split a surrogate pair at the window's edge.
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
    const found = Array.from(segmenter.segment(text.slice(start, end)), (s) => s.segment);
    // The window's last segment may continue past it, unless the text ends here or it is all there is.
    const keep = end === text.length || found.length === 1 ? found : found.slice(0, -1);
    out.push(...keep);
    start += keep.reduce((n, s) => n + s.length, 0);
  }
  return out;
}
