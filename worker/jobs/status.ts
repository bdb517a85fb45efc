/** A job's row as the contract's status answer. */
import type { z } from "zod";
import { ASSUMED_ROW_BYTES } from "../../shared/job-units.ts";
import { ASYNC_JOB_MIN_BYTES, type JobRow } from "../../shared/jobs.ts";
import type { JobStatusResponse } from "../../shared/schemas.ts";

/**
 * A rough promise from the job's size and route, at the pipeline's rates (npm run bench:batch):
 * the fast route is held to BatchDetectSentiment's 10 requests a second (25 documents each, about
 * 250 rows a second); the asynchronous route pays Comprehend jobs' start-up (minutes on AWS),
 * then runs about 7,000 rows a second (3M rows in 7 minutes here). Rows are the job's once read,
 * else a row every ASSUMED_ROW_BYTES. While the job runs the promise is never in the past.
 */
export function estimatedCompletion(job: Pick<JobRow, "created_at" | "item_count">, payloadBytes: number, now = new Date()): string {
  const rows = job.item_count ?? Math.max(1, Math.ceil(payloadBytes / ASSUMED_ROW_BYTES));
  const seconds = payloadBytes > ASYNC_JOB_MIN_BYTES ? ASYNC_START_SECONDS + rows / 7_000 : 5 + rows / 250;
  const promised = new Date(job.created_at).getTime() + Math.ceil(seconds) * 1_000;
  return new Date(Math.max(promised, now.getTime() + STILL_RUNNING_MS)).toISOString();
}

/** Comprehend's asynchronous jobs take minutes to start on AWS. */
const ASYNC_START_SECONDS = 300;
/** A job past its promise is promised a little later, not a time gone by. */
const STILL_RUNNING_MS = 30_000;

export function jobStatus(job: JobRow, now = new Date()): z.infer<typeof JobStatusResponse> {
  const status = job.status;
  switch (status) {
    // Until the file arrives; the upload-deadline state machine ends it FAILED (UPLOAD_EXPIRED) if it never does.
    case "AWAITING_UPLOAD":
      return { status: "AWAITING_UPLOAD", job_id: job.job_id, created_at: job.created_at, upload_expires_at: job.upload_expires_at! };
    case "COMPLETED":
      return { status: "COMPLETED", job_id: job.job_id, result: job.summary!, completed_at: job.completed_at! };
    case "FAILED":
      return {
        status: "FAILED",
        job_id: job.job_id,
        error: job.error ?? { code: "PROCESSING_ERROR", message: "the job failed" },
        failed_at: job.failed_at ?? job.created_at,
      };
    default: {
      const done = job.batches_done ?? 0;
      const progress =
        status === "PROCESSING" && job.batch_count
          ? { batches_done: done, batch_count: job.batch_count, percent: Math.round((done / job.batch_count) * 1000) / 10 }
          : undefined;
      const stage =
        status === "PENDING" ? (job.prepared_at ? "preparing" : "queued") : job.batch_count !== undefined && done >= job.batch_count ? "aggregating" : "analysing";
      const preparation =
        stage === "preparing" && job.part_count ? { parts_done: job.parts_prepared ?? 0, part_count: job.part_count, rows_read: job.rows_prepared ?? 0 } : undefined;
      const aggregation = stage === "aggregating" && job.part_count ? { parts_done: job.parts_joined ?? 0, part_count: job.part_count } : undefined;
      return {
        status: status as "PENDING" | "PROCESSING",
        job_id: job.job_id,
        stage,
        ...(job.item_count !== undefined ? { items: job.item_count } : {}),
        created_at: job.created_at,
        estimated_completion: estimatedCompletion(job, job.upload_bytes ?? (job.item_count ?? 1) * ASSUMED_ROW_BYTES, now),
        ...(progress ? { progress } : {}),
        ...(preparation ? { preparation } : {}),
        ...(aggregation ? { aggregation } : {}),
      };
    }
  }
}
