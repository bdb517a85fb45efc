/**
 * Batch jobs: their states, where their objects live in the bucket, and the row kept in
 * DynamoDB. The Worker, the Lambdas and the local runner all use these names.
 */
import type { AsyncOptions, JobSummary } from "./schemas.ts";

/** AWAITING_UPLOAD: created by POST /v1/jobs, waiting for the caller's upload to its presigned URL. */
export const JOB_STATUSES = ["AWAITING_UPLOAD", "PENDING", "PROCESSING", "COMPLETED", "FAILED"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Payload formats a job can be submitted in (the object's Content-Type). */
export const JOB_FORMATS = {
  text: "text/plain",
  items: "application/json",
  csv: "text/csv",
  jsonl: "application/x-ndjson",
} as const;
export type JobFormat = keyof typeof JOB_FORMATS;

/**
 * 5 MiB (about 25,000-50,000 rows of reviews): above it, a job goes to Comprehend's asynchronous
 * jobs (the default of the Lambdas' ASYNC_JOB_MIN_BYTES; the status page's estimate assumes it).
 * The fast path's BatchDetectSentiment shares the account's 10 requests/s (250 documents/s)
 * with real time; a 5 MiB job is 1,000-2,000 of those requests, minutes of the whole quota. An
 * asynchronous job costs the same per unit, draws on none of that quota, and its start-up
 * (minutes) is small against such a job's analysis time. See the README ("Batch routes").
 */
export const ASYNC_JOB_MIN_BYTES = 5 * 1024 * 1024;

export const S3_PREFIXES = { uploads: "uploads/", processed: "processed/", failed: "failed/" } as const;

/** uploads/YYYY/MM/DD/<job_id>/input — what the object event starts the state machine on. */
export function uploadKey(jobId: string, createdAt: Date): string {
  const d = createdAt.toISOString();
  return `${S3_PREFIXES.uploads}${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${jobId}/input`;
}

/** The job id inside an upload key, or null when the key is not one. */
export function jobIdOfUploadKey(key: string): string | null {
  return /^uploads\/\d{4}\/\d{2}\/\d{2}\/([A-Za-z0-9_-]{8,64})\/input$/.exec(key)?.[1] ?? null;
}

/** A job's results (the Worker serves them); its work files are the batch backend's own (lambdas/work/layout.ts). */
export const processedKeys = (jobId: string) => ({
  results: `${S3_PREFIXES.processed}${jobId}/results.jsonl`,
  resultsCsv: `${S3_PREFIXES.processed}${jobId}/results.csv`,
});

export type ResultsFormat = "jsonl" | "csv";

/** The job id of a key under processed/<job_id>/, or null. */
export function jobIdOfWorkKey(key: string): string | null {
  return /^processed\/([A-Za-z0-9_-]{8,64})\//.exec(key)?.[1] ?? null;
}

export const failedKey = (jobId: string) => `${S3_PREFIXES.failed}${jobId}/input`;

/** The DynamoDB row (key `pk` = `job#<id>`). */
export interface JobRow {
  pk: string;
  job_id: string;
  tenant_id: string;
  status: JobStatus;
  format: JobFormat;
  created_at: string;
  upload_key: string;
  options: AsyncOptions;
  source_id?: string;
  idempotency_key?: string;
  body_sha256?: string;
  item_count?: number;
  /** Preparation's progress: the upload's parts (plan-upload), those prepared and the rows they read (each prepare). */
  part_count?: number;
  parts_prepared?: number;
  rows_prepared?: number;
  batch_count?: number;
  batches_done?: number;
  /** The join's progress: parts whose results are written (each aggregate-part), of part_count. */
  parts_joined?: number;
  summary?: JobSummary;
  error?: { code: string; message: string };
  completed_at?: string;
  failed_at?: string;
  webhook_delivered_at?: string;
  /** AWAITING_UPLOAD jobs: when the upload URL stops working, and the size it was signed for. */
  upload_expires_at?: string;
  /** When the job ends UPLOAD_EXPIRED if its file has not come: the URL's expiry plus the grace for an upload in flight. */
  upload_deadline_at?: string;
  upload_bytes?: number;
  /**
   * The Comprehend units the job was charged at submission (shared/job-units.ts): the most it may
   * bill. prepare ends a job whose texts would bill more FAILED (UNITS_OVER_RESERVATION) before
   * any analysis. Absent on jobs made before spend limits: no bound.
   */
  units_reserved?: number;
  /** Set by the first execution that prepares the job; a duplicate start finds it and stops. */
  prepared_at?: string;
  /** The execution that took the job (its retries of prepare may take it again). */
  prepared_by?: string;
  /** Epoch seconds: DynamoDB's TTL attribute. */
  expires_at: number;
}

export const jobPk = (jobId: string) => `job#${jobId}`;

/**
 * The table's index of jobs by status and creation time (sparse: idempotency rows have no
 * status), with what the stale-job sweeper needs to judge a job without reading its row.
 */
export const JOBS_STATUS_INDEX = {
  name: "by-status",
  partitionKey: "status",
  sortKey: "created_at",
  projected: ["job_id", "upload_key", "upload_expires_at", "upload_deadline_at", "prepared_by"],
} as const;

/** Jobs and their results are kept 30 days (the bucket's processed/ lifecycle too). */
export const JOB_RETENTION_DAYS = 30;
