/**
 * The files a job works with under processed/<job_id>/work/: the items (which documents make
 * each one), the Comprehend batches (documents of one language, at most 25) and their results.
 * A document is a unique text part of one language: identical texts in a job are analysed once.
 */
import type { BatchSentimentAnswer, SentimentLanguage } from "../../shared/comprehend.ts";
import type { LanguageSource } from "../../shared/pipeline/language.ts";
import type { ItemError } from "../../shared/pipeline/item-errors.ts";
import type { PiiSummary } from "../../shared/pipeline/text.ts";

export interface WorkItem {
  id: string;
  /** Document numbers of this item's parts, and each part's length (the aggregation weight). */
  docs: number[];
  weights: number[];
  language_code?: SentimentLanguage;
  language_source?: LanguageSource;
  pii_types: PiiSummary["types"];
  error?: ItemError;
}

export interface WorkManifest {
  items: WorkItem[];
  batch_count: number;
  started_at: string;
}

export interface WorkBatch {
  language: string;
  docs: number[];
  texts: string[];
}

export interface WorkBatchResult extends BatchSentimentAnswer {
  docs: number[];
}

/** What the state machine passes to each Map iteration. */
export interface BatchRef {
  job_id: string;
  index: number;
}
