/**
 * Real-time answers as the routes send them: one text (POST /v1/analyze/sync, and
 * POST /v1/analyze in SYNC mode) and a stored result shaped as the caller asked.
 */
import type { Context } from "hono";
import { characterCount } from "../../shared/comprehend.ts";
import type { AnalyzeSyncRequest, AnalyzeSyncResponse, SentimentResult } from "../../shared/schemas.ts";
import { Deadline } from "../aws/deadline.ts";
import type { AppEnv } from "../context.ts";
import { finishAnalysis } from "./finish.ts";

/** Analyses one validated text within the request's deadline; a failed analysis throws its ApiError. */
export async function answerText(c: Context<AppEnv>, request: AnalyzeSyncRequest): Promise<AnalyzeSyncResponse> {
  const started = Date.now();
  const trimmed = request.text.trim();
  const { options } = request;
  const { record } = c.get("apiKey");
  const report = await c.get("services").analyzer.analyze([{ text: trimmed, options }], new Deadline(c.get("config").SYNC_DEADLINE_MS), {
    defaultLanguage: record.default_language,
    fallback: record.fallback,
  });
  finishAnalysis(c, report, characterCount(trimmed));
  const outcome = report.outcomes[0]!;
  if (!outcome.ok) throw outcome.error;
  return {
    ...presentResult(outcome.result, options.include_confidence),
    pii_detected: outcome.pii.detected,
    pii_types: outcome.pii.types,
    cached: outcome.cached,
    engine: outcome.fallback ? "embedded" : "comprehend",
    processing_time_ms: Date.now() - started,
    request_id: c.get("requestId"),
  };
}

/** The stored result as the caller asked for it: without scores and confidence when they opted out. */
export function presentResult(result: SentimentResult, includeConfidence: boolean): SentimentResult {
  const { sentiment, score, scores, language_code, language_source, confidence } = result;
  // One field order whether the result came from Comprehend or the cache.
  return includeConfidence ? { sentiment, score, scores, confidence, language_code, language_source } : { sentiment, score, language_code, language_source };
}
