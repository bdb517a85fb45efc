/**
 * Starting a job from a request (POST /v1/analyze/async, and POST /v1/analyze in ASYNC mode):
 * the payload in the format it came in, the options, the Idempotency-Key, then 202.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { callbackUrlProblem } from "../../shared/callback-url.ts";
import type { JobFormat } from "../../shared/jobs.ts";
import type { AnalyzeAsyncRequest, AnalyzeAsyncResponse, AsyncOptions } from "../../shared/schemas.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
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

/** Starts the job (or finds the one its Idempotency-Key started) and sets Location; the route answers 202 with the result. */
export async function submitJob(c: Context<AppEnv>, request: JobRequest): Promise<z.infer<typeof AnalyzeAsyncResponse>> {
  if (!request.payload.trim()) throw new ApiError("VALIDATION_ERROR", "body: must not be empty", { field: "body" });
  if (request.options.callback_url) {
    const problem = callbackUrlProblem(request.options.callback_url, { allowLoopback: c.get("config").ALLOW_LOOPBACK_CALLBACKS });
    if (problem) throw new ApiError("VALIDATION_ERROR", `options.callback_url: ${problem}`, { field: "options.callback_url" });
  }
  const idempotencyKey = c.req.header("idempotency-key");
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ApiError("VALIDATION_ERROR", "Idempotency-Key: 1..255 visible ASCII characters", { field: "Idempotency-Key" });
  }

  const { record } = c.get("apiKey");
  // The key's default language, unless the request names one: the job keeps it for short rows.
  const options = { ...request.options, default_language: request.options.default_language ?? record.default_language };
  const { job, replayed } = await c.get("services").jobs.submit({ tenantId: record.tenant_id, ...request, options, idempotencyKey });
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
