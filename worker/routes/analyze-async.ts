/**
 * POST /v1/analyze/async: a document, items, a CSV or JSON lines, answered 202 with a job id at
 * once; the AWS pipeline does the work. Options come in the JSON body, or in the query string
 * for CSV and JSON-lines bodies. `Idempotency-Key` returns the same job for the same body.
 */
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { callbackUrlProblem } from "../../shared/callback-url.ts";
import type { JobFormat, JobRow } from "../../shared/jobs.ts";
import { AnalyzeAsyncRequest, AnalyzeAsyncResponse, AsyncQuery, type AsyncOptions } from "../../shared/schemas.ts";
import type { z } from "zod";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { authenticate } from "../middleware/auth.ts";
import { readUtf8 } from "../middleware/body.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import { validationError } from "../middleware/validate.ts";
import type { RouteSpec } from "./route.ts";

export const analyzeAsyncRoute: RouteSpec = {
  method: "post",
  path: "/v1/analyze/async",
  summary: "Start a batch job",
  description:
    "JSON {text} or {items}, or a text/csv body (a `text` column, optional `id`) or application/x-ndjson; options in the query string for those. 1 MiB by default. Answers 202 with a job id; poll status_url.",
  authenticated: true,
  request: AnalyzeAsyncRequest,
  response: { status: 202, schema: AnalyzeAsyncResponse },
  errors: ["VALIDATION_ERROR", "UNAUTHORIZED", "FORBIDDEN", "IDEMPOTENCY_CONFLICT", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMIT_EXCEEDED", "SERVICE_UNAVAILABLE", "CONFIG_ERROR"],
};

const MEDIA_TYPES: Record<string, JobFormat | "json"> = {
  "application/json": "json",
  "text/csv": "csv",
  "application/x-ndjson": "jsonl",
};

/** The payload's media type (415 for any other), read before auth as the contract orders. */
export function mediaTypeOf(c: Context<AppEnv>): JobFormat | "json" {
  const [type = "", ...params] = (c.req.header("content-type") ?? "").toLowerCase().split(";").map((p) => p.trim());
  const charset = params.find((p) => p.startsWith("charset="))?.slice(8).replace(/"/g, "");
  const format = MEDIA_TYPES[type];
  if (!format || (charset && charset !== "utf-8")) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send application/json, text/csv or application/x-ndjson (UTF-8).", { field: "content-type" });
  }
  return format;
}

const limitAsyncBody = createMiddleware<AppEnv>(async (c, next) => {
  const maxSize = c.get("config").ASYNC_MAX_BYTES;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE", `The body is larger than ${maxSize} bytes.`, { field: "body" });
    },
  })(c, next);
});

const requireAsyncMediaType = createMiddleware<AppEnv>(async (c, next) => {
  mediaTypeOf(c);
  await next();
});

export const asyncChecks = [limitAsyncBody, requireAsyncMediaType, authenticate, rateLimit] as const;

/** Validates an async request (parsed JSON, or raw CSV/JSON lines with query options) and starts its job. */
export async function submitJob(c: Context<AppEnv>, format: JobFormat | "json", body: string | unknown): Promise<Response> {
  let payload: string;
  let jobFormat: JobFormat;
  let options: AsyncOptions;
  let sourceId: string | undefined;
  if (format === "json") {
    const parsed = AnalyzeAsyncRequest.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error);
    ({ options } = parsed.data);
    sourceId = parsed.data.source_id;
    jobFormat = parsed.data.text !== undefined ? "text" : "items";
    payload = parsed.data.text ?? JSON.stringify({ items: parsed.data.items });
  } else {
    const parsed = AsyncQuery.safeParse(Object.fromEntries(new URL(c.req.url).searchParams));
    if (!parsed.success) throw validationError(parsed.error, "query.");
    const { source_id, ...rest } = parsed.data;
    options = rest;
    sourceId = source_id;
    jobFormat = format;
    payload = body as string;
    if (!payload.trim()) throw new ApiError("VALIDATION_ERROR", "body: must not be empty", { field: "body" });
  }
  if (options.callback_url) {
    const problem = callbackUrlProblem(options.callback_url, { allowLoopback: c.get("config").ALLOW_LOOPBACK_CALLBACKS });
    if (problem) throw new ApiError("VALIDATION_ERROR", `options.callback_url: ${problem}`, { field: "options.callback_url" });
  }
  const idempotencyKey = c.req.header("idempotency-key");
  if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
    throw new ApiError("VALIDATION_ERROR", "Idempotency-Key: 1..255 visible ASCII characters", { field: "Idempotency-Key" });
  }

  const { job, replayed } = await c.get("services").jobs.submit({
    tenantId: c.get("apiKey").record.tenant_id,
    format: jobFormat,
    payload,
    options,
    sourceId,
    idempotencyKey,
  });
  const answer: z.infer<typeof AnalyzeAsyncResponse> = {
    job_id: job.job_id,
    status: "PENDING",
    message: replayed ? "This Idempotency-Key already started this job." : "The job is queued.",
    status_url: `/v1/status/${job.job_id}`,
    created_at: job.created_at,
    estimated_completion: estimatedCompletion(job, payload.length),
  };
  if (replayed) c.header("Idempotent-Replayed", "true");
  c.header("Location", answer.status_url);
  return c.json(answer, 202);
}

/** A rough promise: a few seconds, plus about 50 KB of text per second. */
export function estimatedCompletion(job: Pick<JobRow, "created_at">, payloadBytes: number): string {
  return new Date(new Date(job.created_at).getTime() + 5_000 + Math.ceil(payloadBytes / 50_000) * 1_000).toISOString();
}

/** The body of an async request: a CSV / JSON-lines text as it is, or parsed JSON. */
export async function readAsyncBody(c: Context<AppEnv>): Promise<{ format: JobFormat; text: string } | { format: "json"; json: unknown }> {
  const format = mediaTypeOf(c);
  const text = await readUtf8(c);
  if (format !== "json") return { format, text };
  try {
    return { format, json: JSON.parse(text) };
  } catch {
    throw new ApiError("VALIDATION_ERROR", "The body is not valid JSON.", { field: "body" });
  }
}

export function registerAnalyzeAsync(app: Hono<AppEnv>): void {
  app.post(analyzeAsyncRoute.path, ...asyncChecks, async (c) => {
    const body = await readAsyncBody(c);
    return body.format === "json" ? submitJob(c, "json", body.json) : submitJob(c, body.format, body.text);
  });
}
