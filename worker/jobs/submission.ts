/**
 * Starting a job from a request (POST /v1/analyze/async, and POST /v1/analyze in ASYNC mode):
 * the payload in the format it came in, the options, the Idempotency-Key, then 202; or, for
 * POST /v1/jobs, a job waiting for the caller's own upload to S3.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { callbackUrlProblem } from "../../shared/callback-url.ts";
import { estimateInlineJob, estimateUploadJob } from "../../shared/job-units.ts";
import type { JobFormat, JobRow } from "../../shared/jobs.ts";
import { MAX_ASYNC_ITEMS, type AnalyzeAsyncRequest, type AnalyzeAsyncResponse, type AsyncOptions, type CreateJobRequest, type CreateJobResponse } from "../../shared/schemas.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { jobSpendOf } from "../rate-limiter/spend.ts";
import { newJobId } from "./jobs-service.ts";
import { estimatedCompletion } from "./status.ts";

export interface JobRequest {
  format: JobFormat;
  payload: string;
  options: AsyncOptions;
  sourceId?: string;
}

/** A validated JSON body as a job: a document (`text`) or items. */
export function jobRequestOfJson(body: AnalyzeAsyncRequest): JobRequest {
  return body.text !== undefined
    ? { format: "text", payload: body.text, options: body.options, sourceId: body.source_id }
    : { format: "items", payload: JSON.stringify({ items: body.items }), options: body.options, sourceId: body.source_id };
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The checks every job submission makes before any work: the callback URL and the Idempotency-Key. */
function submissionChecks(c: Context<AppEnv>, options: AsyncOptions): string | undefined {
  if (options.callback_url) {
    const problem = callbackUrlProblem(options.callback_url, { allowLoopback: c.get("config").ALLOW_LOOPBACK_CALLBACKS });
    if (problem) throw new ApiError("VALIDATION_ERROR", `options.callback_url: ${problem}`, { field: "options.callback_url" });
  }
  const idempotencyKey = c.req.header("idempotency-key");
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ApiError("VALIDATION_ERROR", "Idempotency-Key: 1..255 visible ASCII characters", { field: "Idempotency-Key" });
  }
  return idempotencyKey;
}

/** The key's default language, unless the request names one: the job keeps it for short rows. */
function withKeyDefaults(c: Context<AppEnv>, options: AsyncOptions): AsyncOptions {
  return { ...options, default_language: options.default_language ?? c.get("apiKey").record.default_language };
}

/**
 * A job made only once its spend is admitted: a slot among its tenant's running jobs and its
 * estimated units from the key's limits (429 / 413 otherwise). A request whose Idempotency-Key
 * was used before is a replay (or a conflict) and is not admitted again: a client retrying its own
 * job is never refused for the slot that job holds. Two first uses racing: the one that replays
 * gives its admission back. A job that could not be stored keeps its admission until it is
 * settled (its row says FAILED before analysis: nothing billed), so a retry that heals it finds
 * it still admitted.
 */
async function admitted(c: Context<AppEnv>, units: number, idempotencyKey: string | undefined, make: (jobId: string) => Promise<{ job: JobRow; replayed: boolean }>) {
  const jobId = newJobId();
  if (idempotencyKey && (await c.get("services").jobs.idempotencyKeyUsed(c.get("apiKey").record.tenant_id, idempotencyKey))) return make(jobId);
  const spend = jobSpendOf(c);
  await spend.admit(jobId, units);
  const made = await make(jobId);
  if (made.job.job_id !== jobId) c.executionCtx.waitUntil(spend.cancel(jobId));
  return made;
}

/** Starts the job (or finds the one its Idempotency-Key started) and sets Location; the route answers 202 with the result. */
export async function submitJob(c: Context<AppEnv>, request: JobRequest): Promise<z.infer<typeof AnalyzeAsyncResponse>> {
  if (!request.payload.trim()) throw new ApiError("VALIDATION_ERROR", "body: must not be empty", { field: "body" });
  // One read: the row cap for every inline format (the JSON schema enforces it for items too) and the job's estimate.
  const estimate = await estimateInlineJob(request.format, request.payload, MAX_ASYNC_ITEMS);
  if (estimate.tooManyRows) {
    throw new ApiError("VALIDATION_ERROR", `body: at most ${MAX_ASYNC_ITEMS.toLocaleString("en")} rows in a request; send larger files through POST /v1/jobs`, { field: "body" });
  }
  const idempotencyKey = submissionChecks(c, request.options);
  const { record } = c.get("apiKey");
  const options = withKeyDefaults(c, request.options);
  const { job, replayed } = await admitted(c, estimate.units, idempotencyKey, (jobId) =>
    c.get("services").jobs.submit({ jobId, tenantId: record.tenant_id, ...request, options, idempotencyKey, unitsReserved: estimate.units }),
  );
  const answer: z.infer<typeof AnalyzeAsyncResponse> = {
    job_id: job.job_id,
    status: "PENDING",
    message: replayed ? "This Idempotency-Key already started this job." : "The job is queued.",
    status_url: `/v1/status/${job.job_id}`,
    created_at: job.created_at,
    estimated_completion: estimatedCompletion(job, request.payload.length),
  };
  if (replayed) c.header("Idempotent-Replayed", "true");
  c.header("Location", answer.status_url);
  return answer;
}

/**
 * POST /v1/jobs: the job's row (AWAITING_UPLOAD) and a presigned PUT for its file, which goes
 * straight to S3; its arrival starts the job. A repeated Idempotency-Key gets the same job and
 * a URL with the same deadline.
 */
export async function createUploadJob(c: Context<AppEnv>, request: CreateJobRequest): Promise<CreateJobResponse> {
  const idempotencyKey = submissionChecks(c, request.options);
  const { record } = c.get("apiKey");
  const { jobs } = c.get("services");
  const units = estimateUploadJob(request.bytes, request.items);
  const { job, replayed } = await admitted(c, units, idempotencyKey, (jobId) =>
    jobs.submit({
      jobId,
      tenantId: record.tenant_id,
      format: request.format,
      payload: { bytes: request.bytes, urlSeconds: c.get("config").UPLOAD_URL_TTL_SECONDS },
      options: withKeyDefaults(c, request.options),
      sourceId: request.source_id,
      idempotencyKey,
      unitsReserved: units,
    }),
  );
  if (job.status !== "AWAITING_UPLOAD") {
    throw new ApiError("IDEMPOTENCY_CONFLICT", "This Idempotency-Key's job is no longer waiting for its upload.", { field: "Idempotency-Key" });
  }
  const answer: CreateJobResponse = {
    job_id: job.job_id,
    status: "AWAITING_UPLOAD",
    upload: await jobs.uploadUrl(job),
    status_url: `/v1/status/${job.job_id}`,
    created_at: job.created_at,
  };
  if (replayed) c.header("Idempotent-Replayed", "true");
  c.header("Location", answer.status_url);
  return answer;
}
