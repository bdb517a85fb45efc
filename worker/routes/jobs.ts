/**
 * GET /v1/status/{job_id} and GET /v1/jobs/{job_id}/results: a job's state in the contract's
 * shapes, and its per-item results (JSON lines, or CSV on `Accept: text/csv`) once COMPLETED.
 * A job belongs to the tenant that made it: to anyone else it does not exist (404).
 */
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { JobRow } from "../../shared/jobs.ts";
import { JobStatusResponse } from "../../shared/schemas.ts";
import { Deadline } from "../aws/deadline.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { authenticate } from "../middleware/auth.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import { estimatedCompletion } from "./analyze-async.ts";
import type { RouteSpec } from "./route.ts";

export const statusRoute: RouteSpec = {
  method: "get",
  path: "/v1/status/{job_id}",
  summary: "A batch job's state (with progress, result summary or error)",
  authenticated: true,
  response: { status: 200, schema: JobStatusResponse },
  errors: ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "RATE_LIMIT_EXCEEDED", "SERVICE_UNAVAILABLE"],
};

export const resultsRoute: RouteSpec = {
  method: "get",
  path: "/v1/jobs/{job_id}/results",
  summary: "A completed job's per-item results: JSON lines, or CSV with Accept: text/csv",
  authenticated: true,
  response: { status: 200, schema: z.string().describe("One JSON object per item: id, sentiment, score, scores, language_code, pii_detected, pii_types, or error"), contentType: "application/x-ndjson" },
  errors: ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "JOB_NOT_READY", "RATE_LIMIT_EXCEEDED", "SERVICE_UNAVAILABLE"],
};

async function ownJob(c: Context<AppEnv>): Promise<JobRow> {
  const jobId = c.req.param("job_id") ?? "";
  const job = await c.get("services").jobs.find(c.get("apiKey").record.tenant_id, jobId);
  if (!job) throw new ApiError("NOT_FOUND", "No such job.", { field: "job_id" });
  return job;
}

export function jobStatus(job: JobRow): z.infer<typeof JobStatusResponse> {
  switch (job.status) {
    case "COMPLETED": {
      const s = job.summary!;
      return {
        status: "COMPLETED",
        job_id: job.job_id,
        result: {
          sentiment: s.sentiment,
          score: s.score,
          scores: s.scores,
          language_code: s.language_code,
          item_count: s.item_count,
          failed_items: s.failed_items,
          distribution: s.distribution,
          processing_time_ms: s.processing_time_ms,
        },
        completed_at: job.completed_at!,
      };
    }
    case "FAILED":
      return { status: "FAILED", job_id: job.job_id, error: job.error ?? { code: "PROCESSING_ERROR", message: "the job failed" }, failed_at: job.failed_at ?? job.created_at };
    default: {
      const progress =
        job.status === "PROCESSING" && job.batch_count
          ? { batches_done: job.batches_done ?? 0, batch_count: job.batch_count, percent: Math.round(((job.batches_done ?? 0) / job.batch_count) * 1000) / 10 }
          : undefined;
      return {
        status: job.status,
        job_id: job.job_id,
        created_at: job.created_at,
        estimated_completion: estimatedCompletion(job, (job.item_count ?? 1) * 200),
        ...(progress ? { progress } : {}),
      };
    }
  }
}

const CSV_COLUMNS = ["id", "sentiment", "score", "positive", "negative", "neutral", "mixed", "language_code", "pii_detected", "error_code"] as const;

function csvField(value: unknown): string {
  const text = value === undefined || value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** JSON lines -> CSV rows, line by line as they stream. */
function jsonLinesToCsv(): TransformStream<string, string> {
  let rest = "";
  const row = (line: string) => {
    const r = JSON.parse(line) as Record<string, any>;
    const values = [r.id, r.sentiment, r.score, r.scores?.positive, r.scores?.negative, r.scores?.neutral, r.scores?.mixed, r.language_code, r.pii_detected, r.error?.code];
    return values.map(csvField).join(",") + "\r\n";
  };
  return new TransformStream({
    start(controller) {
      controller.enqueue(CSV_COLUMNS.join(",") + "\r\n");
    },
    transform(chunk, controller) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) controller.enqueue(row(line));
    },
    flush(controller) {
      if (rest.trim()) controller.enqueue(row(rest));
    },
  });
}

export function registerJobs(app: Hono<AppEnv>): void {
  app.get("/v1/status/:job_id", authenticate, rateLimit, async (c) => c.json(jobStatus(await ownJob(c)), 200));

  app.get("/v1/jobs/:job_id/results", authenticate, rateLimit, async (c) => {
    const job = await ownJob(c);
    if (job.status !== "COMPLETED") {
      const why = job.status === "FAILED" ? "The job failed; it has no results (see its status)." : `The job is ${job.status}; results come when it is COMPLETED.`;
      throw new ApiError("JOB_NOT_READY", why, { retryAfter: job.status === "FAILED" ? undefined : 5 });
    }
    const object = await c.get("services").jobs.results(job.job_id, new Deadline(10_000));
    if (!object?.body) throw new ApiError("SERVICE_UNAVAILABLE", "The results could not be read; try again shortly.", { retryAfter: 5 });
    const wantsCsv = (c.req.header("accept") ?? "").includes("text/csv");
    if (!wantsCsv) return c.body(object.body, 200, { "content-type": "application/x-ndjson; charset=utf-8" });
    const csv = object.body.pipeThrough(new TextDecoderStream()).pipeThrough(jsonLinesToCsv()).pipeThrough(new TextEncoderStream());
    return c.body(csv, 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${job.job_id}.csv"` });
  });
}
