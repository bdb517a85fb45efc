/**
 * Where a submitted text's sentences are, for sentence-level results: Intl.Segmenter's sentence
 * bounds in the text's language, each span trimmed of surrounding white space, with offsets in
 * code points into the text exactly as submitted (Comprehend counts offsets in characters too).
 */

export interface SentenceSpan {
  /** The sentence as submitted (what is analysed for it). */
  text: string;
  /** Code points before the sentence, from the start of the submitted text. */
  begin: number;
  /** Code points up to the end of the sentence. */
  end: number;
}

export function sentenceSpans(text: string, language: string): SentenceSpan[] {
  const spans: SentenceSpan[] = [];
  let codePoints = 0;
  for (const { segment } of new Intl.Segmenter(language, { granularity: "sentence" }).segment(text)) {
    const length = [...segment].length;
    const lead = [...segment.slice(0, segment.length - segment.trimStart().length)].length;
    const body = segment.trim();
    if (body) spans.push({ text: body, begin: codePoints + lead, end: codePoints + lead + [...body].length });
    codePoints += length;
  }
  return spans;
}

/** Code-point offsets of `needle` in `text` at or after `from` (code points), or undefined. */
export function findSpan(text: string, needle: string, from = 0): { begin: number; end: number } | undefined {
  const points = [...text];
  const target = [...needle];
  if (target.length === 0) return undefined;
  for (let i = from; i + target.length <= points.length; i++) {
    let j = 0;
    while (j < target.length && points[i + j] === target[j]) j++;
    if (j === target.length) return { begin: i, end: i + target.length };
  }
  return undefined;
}
