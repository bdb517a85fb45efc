/**
 * Amazon Comprehend as this product uses it, in one place for the Worker's client, the Lambdas
 * and the local endpoint that stands in for it: limits, the billing rule, labels and wire shapes.
 */
export const COMPREHEND_TARGET_PREFIX = "Comprehend_20171127";

/** DetectSentiment / BatchDetectSentiment: per document. */
export const MAX_SENTIMENT_BYTES = 5_000;
/** DetectDominantLanguage / DetectPiiEntities: per document. */
export const MAX_DETECT_BYTES = 100_000;
export const MAX_BATCH_DOCUMENTS = 25;

/**
 * StartSentimentDetectionJob's input (Comprehend's documented quotas for asynchronous jobs):
 * at most 1,000,000 documents (ONE_DOC_PER_LINE lines) and 5 GB in all, at least 500 bytes.
 * prepare cuts a language's documents into as many jobs as these need; the local endpoint ends a
 * job FAILED past them, as AWS does.
 */
export interface SentimentJobQuotas {
  maxDocuments: number;
  maxBytes: number;
  minBytes: number;
}
export const SENTIMENT_JOB_QUOTAS: SentimentJobQuotas = { maxDocuments: 1_000_000, maxBytes: 5_000_000_000, minBytes: 500 };

/**
 * Batches one job sends to BatchDetectSentiment at a time (the fast route's Map MaxConcurrency).
 * The operation's default quota, 10 requests a second, is the account's, shared with the
 * real-time POST /v1/analyze/batch: one call in flight per job (about 100 ms each) keeps a job
 * just under it, so real time is not throttled while the largest job a plan admits runs, and
 * the job is barely slower, the quota being its bound anyway (`npm run abuse`: 2 in flight let
 * the job's calls throttle real time's). With a raised quota, raise this (stack prop maxConcurrency).
 */
export const JOB_BATCH_CONCURRENCY = 1;

/** Languages DetectSentiment accepts. */
export const SENTIMENT_LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"] as const;
export type SentimentLanguage = (typeof SENTIMENT_LANGUAGES)[number];
/** Languages DetectPiiEntities accepts. */
export const PII_LANGUAGES = ["en", "es"] as const;

export function isSentimentLanguage(code: string | undefined): code is SentimentLanguage {
  return code !== undefined && (SENTIMENT_LANGUAGES as readonly string[]).includes(code);
}

/** Comprehend's four sentiment labels; the API answers with the same ones. */
export const SENTIMENT_LABELS = ["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

// ---- Wire shapes (JSON protocol, x-amz-json-1.1) -----------------------------------------------

export interface SentimentScore {
  Positive: number;
  Negative: number;
  Neutral: number;
  Mixed: number;
}

/** DetectSentiment's answer, and each ResultList entry of BatchDetectSentiment (with Index). */
export interface SentimentAnswer {
  Sentiment: SentimentLabel;
  SentimentScore: SentimentScore;
}

/** DetectTargetedSentiment: its API enum lists all twelve, but the service reads English only. */
export const TARGETED_SENTIMENT_LANGUAGES = ["en"] as const;

export interface TargetedMention {
  BeginOffset: number;
  EndOffset: number;
  Score: number;
  GroupScore: number;
  Text: string;
  Type: string;
  MentionSentiment: SentimentAnswer;
}

export interface TargetedSentimentAnswer {
  Entities: { DescriptiveMentionIndex: number[]; Mentions: TargetedMention[] }[];
}

export interface DominantLanguage {
  LanguageCode: string;
  Score: number;
}

/** A per-document failure of a Batch* operation. */
export interface BatchItemError {
  Index: number;
  ErrorCode: string;
  ErrorMessage: string;
}

export interface BatchSentimentAnswer {
  ResultList: ({ Index: number } & SentimentAnswer)[];
  ErrorList: BatchItemError[];
}


/**
 * A score as the API shows it: four decimal places, so a weighted mean or a difference of
 * scores never shows float noise (0.7154999999999999). Both paths and the engine round here.
 */
export function roundScore(score: number): number {
  return Math.round(score * 10_000) / 10_000;
}

/** The text's UTF-8 length, counted without encoding it (prepare counts every document). A lone surrogate counts 3, as TextEncoder writes U+FFFD. */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Characters as a user counts them (code points). */
export function characterCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Comprehend bills in units of 100 characters, at least 3 units per document. */
export function billingUnits(text: string): number {
  return Math.max(3, Math.ceil(characterCount(text) / 100));
}
