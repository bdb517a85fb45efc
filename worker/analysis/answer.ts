/**
 * Real-time answers as the routes send them: one text (POST /v1/analyze/sync, and
 * POST /v1/analyze in SYNC mode) and a stored result shaped as the caller asked.
 */
import type { Context } from "hono";
import { billingUnits, characterCount } from "../../shared/comprehend.ts";
import { languageOf } from "../../shared/pipeline/language.ts";
import { prepareText } from "../../shared/pipeline/text.ts";
import type { AnalyzeSyncRequest, AnalyzeSyncResponse, SentenceResult, SentimentResult, TargetResult } from "../../shared/schemas.ts";
import { Deadline } from "../aws/deadline.ts";
import { unitBudgetOf } from "../rate-limiter/spend.ts";
import type { AppEnv } from "../context.ts";
import { analyzeContextOf, type AnalysisReport } from "./analyzer.ts";
import { finishAnalysis } from "./finish.ts";
import { sentenceResults, sentencesOf } from "./sentences.ts";
import { checkTargetsLanguage, targetResults } from "./targets.ts";

/**
 * Analyses one validated text within the request's deadline, and on request its sentences and
 * targets (each checked before any work is paid for); a failed analysis throws its ApiError.
 */
export async function answerText(c: Context<AppEnv>, request: AnalyzeSyncRequest): Promise<AnalyzeSyncResponse> {
  const started = Date.now();
  const trimmed = request.text.trim();
  const { options } = request;
  const { record } = c.get("apiKey");
  const services = c.get("services");
  const deadline = new Deadline(c.get("config").SYNC_DEADLINE_MS);
  const budget = unitBudgetOf(c);
  const context = analyzeContextOf(record, budget);
  const allowFallback = options.fallback && record.fallback !== false;

  const spans = options.sentences ? sentencesOf(request.text, options.language_code) : [];
  // Only for targets: the text as Comprehend will see it, and its language (checked before any call).
  const analysed = options.targets ? prepareText(trimmed, options.pii).analysed : "";
  const language = options.targets ? languageOf(analysed, options.language_code, options.default_language ?? record.default_language).language : undefined;
  if (language) checkTargetsLanguage(language);

  const report = await services.analyzer.analyze([{ text: trimmed, options }], deadline, context);
  const outcome = report.outcomes[0]!;
  if (!outcome.ok) {
    finishAnalysis(c, report, characterCount(trimmed));
    throw outcome.error;
  }
  let sentences: SentenceResult[] | undefined;
  let targets: TargetResult[] | undefined;
  try {
    if (options.sentences) {
      const found = await sentenceResults(services.analyzer, spans, outcome.result, options, deadline, context);
      sentences = found.sentences;
      if (found.report) mergeReport(report, found.report);
    }
    if (language) {
      await budget.reserve(billingUnits(analysed));
      const found = await targetResults(services.targets, { submitted: request.text, analysed, language, includeScores: options.include_confidence, allowFallback }, deadline);
      targets = found.targets;
      report.units += found.units;
      if (found.fallback) report.fallbacks++;
    }
  } finally {
    finishAnalysis(c, report, characterCount(trimmed));
  }
  return {
    ...presentResult(outcome.result, options.include_confidence),
    ...(sentences ? { sentences } : {}),
    ...(targets ? { targets } : {}),
    pii_detected: outcome.pii.detected,
    pii_types: outcome.pii.types,
    cached: outcome.cached,
    engine: report.fallbacks > 0 ? "embedded" : "comprehend",
    processing_time_ms: Date.now() - started,
    request_id: c.get("requestId"),
  };
}

/** One request's cost and side effects, from more than one analysis (the text's outcome stays first). */
function mergeReport(into: AnalysisReport, more: AnalysisReport): void {
  into.units += more.units;
  into.cacheHits += more.cacheHits;
  into.fallbacks += more.fallbacks;
  into.comprehendMs += more.comprehendMs;
  into.failed.push(...more.failed);
  into.pending.push(...more.pending);
}

/** The stored result as the caller asked for it: without scores and confidence when they opted out. */
export function presentResult(result: SentimentResult, includeConfidence: boolean): SentimentResult {
  const { sentiment, score, scores, language_code, language_source, confidence } = result;
  // One field order whether the result came from Comprehend or the cache.
  return includeConfidence ? { sentiment, score, scores, confidence, language_code, language_source } : { sentiment, score, language_code, language_source };
}
