/**
 * The files a job works with under processed/<job_id>/work/: the items (which documents make
 * each one), the Comprehend batches (documents of one language, at most 25) and their results.
 * A document is a unique text part: identical texts in a job are analysed once.
 */
export interface WorkItem {
  id: string;
  /** Document numbers of this item's parts, and each part's length (the aggregation weight). */
  docs: number[];
  weights: number[];
  pii_types: Record<string, number>;
  error?: { code: string; message: string };
}

export interface WorkManifest {
  items: WorkItem[];
  /** Language of each document. */
  languages: string[];
  batch_count: number;
  started_at: string;
}

export interface WorkBatch {
  language: string;
  docs: number[];
  texts: string[];
}

export interface WorkBatchResult {
  docs: number[];
  ResultList: { Index: number; Sentiment: string; SentimentScore: { Positive: number; Negative: number; Neutral: number; Mixed: number } }[];
  ErrorList: { Index: number; ErrorCode: string; ErrorMessage: string }[];
}

/** What the state machine passes to each Map iteration. */
export interface BatchRef {
  job_id: string;
  index: number;
}
