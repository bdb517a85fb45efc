/** A job's row as the contract's status answer. */
import type { z } from "zod";
import type { JobRow } from "../../shared/jobs.ts";
import type { JobStatusResponse } from "../../shared/schemas.ts";

/** A rough promise: a few seconds, plus about 50 KB of text per second. */
export function estimatedCompletion(job: Pick<JobRow, "created_at">, payloadBytes: number): string {
  return new Date(new Date(job.created_at).getTime() + 5_000 + Math.ceil(payloadBytes / 50_000) * 1_000).toISOString();
}

export function jobStatus(job: JobRow): z.infer<typeof JobStatusResponse> {
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
        estimated_completion: estimatedCompletion(job, (job.item_count ?? 1) * 200),
        ...(progress ? { progress } : {}),
        ...(preparation ? { preparation } : {}),
        ...(aggregation ? { aggregation } : {}),
      };
    }
  }
}
