/**
 * Choosing the language a text is analysed in. Every valid text gets one: the caller's
 * `language_code`; else the detected language when detection is sure of a language sentiment
 * can be analysed in; else the default language (the request's `default_language`, the key's,
 * or English). Chat messages are often too short to tell ("ok", "lol", "👍"): they are analysed
 * in the default language rather than refused. The answer says which rule chose it.
 */
import { MAX_SENTIMENT_BYTES, isSentimentLanguage, type DominantLanguage, type SentimentLanguage } from "../comprehend.ts";
import { chunkText } from "./chunk.ts";

export const LANGUAGE_SOURCES = ["given", "detected", "default"] as const;
export type LanguageSource = (typeof LANGUAGE_SOURCES)[number];

export const DEFAULT_LANGUAGE: SentimentLanguage = "en";

/** When the two best candidates are this close, detection is guessing (e.g. "lol": fr 0.5, nl 0.5). */
const AMBIGUITY_MARGIN = 0.1;

/** What a language is detected from: the text's first part (batch detection takes 5,000 bytes a text). */
export function languageSample(text: string): string {
  return chunkText(text, MAX_SENTIMENT_BYTES)[0] ?? "";
}

export interface LanguageChoice {
  language: SentimentLanguage;
  source: LanguageSource;
}

/** The given language; else a supported, unambiguous detection; else the fallback. */
export function chooseLanguage(
  given: SentimentLanguage | undefined,
  candidates: readonly DominantLanguage[] | undefined,
  fallback: SentimentLanguage = DEFAULT_LANGUAGE,
): LanguageChoice {
  if (given) return { language: given, source: "given" };
  const [best, second] = [...(candidates ?? [])].sort((a, b) => b.Score - a.Score);
  const sure = best && (!second || best.Score - second.Score >= AMBIGUITY_MARGIN);
  return sure && isSentimentLanguage(best.LanguageCode) ? { language: best.LanguageCode, source: "detected" } : { language: fallback, source: "default" };
}
