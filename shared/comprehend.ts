/**
 * Amazon Comprehend's limits and billing rule, in one place for the Worker's client, the
 * Lambdas and the local endpoint that stands in for Comprehend.
 */
export const COMPREHEND_TARGET_PREFIX = "Comprehend_20171127";

/** DetectSentiment / BatchDetectSentiment: per document. */
export const MAX_SENTIMENT_BYTES = 5_000;
/** DetectDominantLanguage / DetectPiiEntities: per document. */
export const MAX_DETECT_BYTES = 100_000;
export const MAX_BATCH_DOCUMENTS = 25;

/** Languages DetectSentiment accepts. */
export const SENTIMENT_LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"] as const;
/** Languages DetectPiiEntities accepts. */
export const PII_LANGUAGES = ["en", "es"] as const;

const encoder = new TextEncoder();

export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** Comprehend bills in units of 100 characters, at least 3 units per document. */
export function billingUnits(text: string): number {
  let characters = 0;
  for (const _ of text) characters++;
  return Math.max(3, Math.ceil(characters / 100));
}
