/**
 * Texts as Comprehend sentiment documents: each text cut into parts of at most 5,000 bytes at
 * the sentence bounds of its language, and documents grouped into batches of one language.
 */
import { MAX_BATCH_DOCUMENTS, MAX_SENTIMENT_BYTES, characterCount } from "../comprehend.ts";
import { chunkText } from "./chunk.ts";

export interface DocumentPart {
  text: string;
  /** The part's share of the text when the parts' scores are combined: its length in characters. */
  weight: number;
}

export function sentimentParts(text: string, language: string): DocumentPart[] {
  return chunkText(text, MAX_SENTIMENT_BYTES, language).map((part) => ({ text: part, weight: characterCount(part) }));
}

export interface DocumentBatch<T> {
  language: string;
  docs: T[];
}

/** At most 25 documents per batch, one language per batch, documents in first-seen order. */
export function batchesByLanguage<T>(docs: Iterable<T>, languageOf: (doc: T) => string): DocumentBatch<T>[] {
  const byLanguage = new Map<string, T[]>();
  for (const doc of docs) {
    const language = languageOf(doc);
    const list = byLanguage.get(language);
    if (list) list.push(doc);
    else byLanguage.set(language, [doc]);
  }
  const batches: DocumentBatch<T>[] = [];
  for (const [language, list] of byLanguage) {
    for (let start = 0; start < list.length; start += MAX_BATCH_DOCUMENTS) {
      batches.push({ language, docs: list.slice(start, start + MAX_BATCH_DOCUMENTS) });
    }
  }
  return batches;
}
