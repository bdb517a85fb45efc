/** Choosing the language a text is analysed in: given by the caller, or detected from a sample. */
import { MAX_SENTIMENT_BYTES, isSentimentLanguage, type DominantLanguage, type SentimentLanguage } from "../comprehend.ts";
import { chunkText } from "./chunk.ts";
import { itemErrors, type ItemError } from "./item-errors.ts";

/** What a language is detected from: the text's first part (batch detection takes 5,000 bytes a text). */
export function languageSample(text: string): string {
  return chunkText(text, MAX_SENTIMENT_BYTES)[0] ?? "";
}

/** The best-scored of Comprehend's candidates. */
export function dominantLanguage(candidates: readonly DominantLanguage[] | undefined): string | undefined {
  let best: DominantLanguage | undefined;
  for (const c of candidates ?? []) if (!best || c.Score > best.Score) best = c;
  return best?.LanguageCode;
}

/** The given language, else the detected one if sentiment can be analysed in it, else the item's error. */
export function chooseLanguage(given: SentimentLanguage | undefined, detected?: string): { language: SentimentLanguage } | { error: ItemError } {
  if (given) return { language: given };
  return isSentimentLanguage(detected) ? { language: detected } : { error: itemErrors.unsupportedLanguage(detected) };
}
