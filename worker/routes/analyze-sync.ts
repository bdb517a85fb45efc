/** POST /v1/analyze/sync: one text, answered within the deadline (cache first, then Comprehend). */
import type { Context, Hono } from "hono";
import { AnalyzeSyncRequest, AnalyzeSyncResponse, characterCount, type SentimentResult } from "../../shared/schemas.ts";
import { finishAnalysis } from "../analysis/finish.ts";
import { Deadline } from "../aws/deadline.ts";
import type { AppEnv } from "../context.ts";
import { jsonRouteChecks } from "../middleware/body.ts";
import { validateJson } from "../middleware/validate.ts";
import type { RouteSpec } from "./route.ts";

/** 5,000 characters even as \uXXXX escapes, plus options, fit well inside this. */
export const SYNC_MAX_BODY_BYTES = 64 * 1024;

export const analyzeSyncRoute: RouteSpec = {
  method: "post",
  path: "/v1/analyze/sync",
  summary: "Analyse one text in real time",
  description:
    "Sentiment of 1..5,000 characters. PII is redacted at the edge by default. Identical texts (after normalisation and redaction) are answered from the cache for 24 h.",
  authenticated: true,
  request: AnalyzeSyncRequest,
  response: { status: 200, schema: AnalyzeSyncResponse },
  errors: ["VALIDATION_ERROR", "UNAUTHORIZED", "FORBIDDEN", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMIT_EXCEEDED", "SERVICE_UNAVAILABLE", "CONFIG_ERROR"],
};

export function registerAnalyzeSync(app: Hono<AppEnv>): void {
  app.post(
    analyzeSyncRoute.path,
    ...jsonRouteChecks(SYNC_MAX_BODY_BYTES),
    validateJson(AnalyzeSyncRequest),
    async (c) => answerSync(c, c.req.valid("json")),
  );
}

/** Analyses one validated text and answers (also used by POST /v1/analyze in SYNC mode). */
export async function answerSync(c: Context<AppEnv>, request: AnalyzeSyncRequest): Promise<Response> {
  const started = Date.now();
  const trimmed = request.text.trim();
  const { options } = request;
  const report = await c.get("services").analyzer.analyze([{ text: trimmed, options }], new Deadline(c.get("config").SYNC_DEADLINE_MS));
  finishAnalysis(c, report, characterCount(trimmed));
  const outcome = report.outcomes[0]!;
  if (!outcome.ok) throw outcome.error;
  const body: AnalyzeSyncResponse = {
    ...presentResult(outcome.result, options.include_confidence),
    pii_detected: outcome.pii.detected,
    pii_types: outcome.pii.types,
    cached: outcome.cached,
    processing_time_ms: Date.now() - started,
    request_id: c.get("requestId"),
  };
  return c.json(body, 200);
}

/** The stored result as the caller asked for it: without scores and confidence when they opted out. */
export function presentResult(result: SentimentResult, includeConfidence: boolean): SentimentResult {
  const { sentiment, score, scores, language_code, confidence } = result;
  // One field order whether the result came from Comprehend or the cache.
  return includeConfidence ? { sentiment, score, scores, confidence, language_code } : { sentiment, score, language_code };
}
