/**
 * Choosing the language a text is analysed in. Every valid text gets one: the caller's
 * `language_code`; else the detected language when detection is sure of a language sentiment
 * can be analysed in; else the default language (the request's `default_language`, the key's,
 * or English). Chat messages are often too short to tell ("ok", "lol", "👍"): they are analysed
 * in the default language rather than refused. The answer says which rule chose it.
 */
import { MAX_SENTIMENT_BYTES, isSentimentLanguage, type DominantLanguage, type SentimentLanguage } from "../comprehend.ts";
import { detectLanguages, topLanguage } from "../engine/language.ts";
import { chunkText } from "./chunk.ts";

export const LANGUAGE_SOURCES = ["given", "detected", "default"] as const;
export type LanguageSource = (typeof LANGUAGE_SOURCES)[number];

export const DEFAULT_LANGUAGE: SentimentLanguage = "en";

/** When the two best candidates are this close, detection is guessing (e.g. "lol": fr 0.5, nl 0.5)... */
const AMBIGUITY_MARGIN = 0.1;
/**
 * ...unless the sample has a sentence's worth of letters: then the best is right 99% of the time
 * even when a neighbour scores close (Hindi beside Marathi, Spanish beside Catalan), and the
 * default language would be the worse guess. (`npm run eval` shows each share by length.)
 */
const SURE_LETTERS = 20;

/** What a language is detected from: the text's first part (batch detection takes 5,000 bytes a text). */
export function languageSample(text: string): string {
  return chunkText(text, MAX_SENTIMENT_BYTES)[0] ?? "";
}

export interface LanguageChoice {
  language: SentimentLanguage;
  source: LanguageSource;
}

/**
 * The given language; else a supported detection that is not a guess; else the fallback.
 * `sampleLetters`: how many letters detection read (a long sample's best is trusted when close).
 */
export function chooseLanguage(
  given: SentimentLanguage | undefined,
  candidates: readonly DominantLanguage[] | undefined,
  fallback: SentimentLanguage = DEFAULT_LANGUAGE,
  sampleLetters = 0,
): LanguageChoice {
  if (given) return { language: given, source: "given" };
  const [best, second] = [...(candidates ?? [])].sort((a, b) => b.Score - a.Score);
  const sure = best && (!second || best.Score - second.Score >= AMBIGUITY_MARGIN || sampleLetters >= SURE_LETTERS);
  return sure && isSentimentLanguage(best.LanguageCode) ? { language: best.LanguageCode, source: "detected" } : { language: fallback, source: "default" };
}

/**
 * The language a text is analysed in, found in-process by the embedded detector from the text's
 * sample (no Comprehend call: a miss costs only its sentiment), under the rules of chooseLanguage.
 */
export function languageOf(text: string, given: SentimentLanguage | undefined, fallback: SentimentLanguage = DEFAULT_LANGUAGE): LanguageChoice {
  if (given) return chooseLanguage(given, undefined, fallback);
  const sample = languageSample(text);
  const letters = letterCount(sample, SURE_LETTERS);
  // Enough letters: the best candidate is trusted whatever the runner-up scores, so only it is needed.
  if (letters >= SURE_LETTERS) {
    const best = topLanguage(sample);
    return best && isSentimentLanguage(best) ? { language: best, source: "detected" } : { language: fallback, source: "default" };
  }
  return chooseLanguage(undefined, detectLanguages(sample), fallback, letters);
}

/** Letters in a text, counted up to `enough`. */
function letterCount(text: string, enough: number): number {
  let count = 0;
  for (const _ of text.matchAll(/\p{L}/gu)) if (++count >= enough) break;
  return count;
}
