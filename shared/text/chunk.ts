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

function segments(text: string, locale: string, granularity: "sentence" | "word"): string[] {
  return Array.from(new Intl.Segmenter(locale, { granularity }).segment(text), (s) => s.segment);
}
