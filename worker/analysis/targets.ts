/**
 * Targeted (entity- and aspect-level) sentiment, options.targets: Comprehend's
 * DetectTargetedSentiment on the text as analysed (PII redacted under pii=redact), English only
 * as the service is. When Comprehend cannot answer in time and the caller allows it, the
 * embedded reading answers instead (flagged like any fallback). Not cached; the call is billed
 * as one more request of the text's units.
 */
import { TARGETED_SENTIMENT_LANGUAGES, billingUnits, type TargetedSentimentAnswer } from "../../shared/comprehend.ts";
import { labelOf, scoresOf } from "../../shared/pipeline/scores.ts";
import { findSpan } from "../../shared/pipeline/sentences.ts";
import type { TargetResult } from "../../shared/schemas.ts";
import type { ComprehendClient } from "../aws/comprehend.ts";
import type { Deadline } from "../aws/deadline.ts";
import { ApiError, apiErrorOf } from "../errors.ts";

export interface TargetsDeps {
  comprehend: ComprehendClient;
  /** The embedded reading, for when Comprehend cannot answer (absent: none). */
  fallback?: (text: string) => TargetedSentimentAnswer;
}

/** Refuses, before any work, a text whose language targeted sentiment cannot read. */
export function checkTargetsLanguage(language: string): void {
  if (!(TARGETED_SENTIMENT_LANGUAGES as readonly string[]).includes(language)) {
    throw new ApiError("VALIDATION_ERROR", `options.targets: targeted sentiment reads ${TARGETED_SENTIMENT_LANGUAGES.join(", ")} only; this text is analysed as ${language}`, {
      field: "options.targets",
    });
  }
}

export async function targetResults(
  deps: TargetsDeps,
  request: { submitted: string; analysed: string; language: string; includeScores: boolean; allowFallback: boolean },
  deadline: Deadline,
): Promise<{ targets: TargetResult[]; units: number; fallback: boolean }> {
  let answer: TargetedSentimentAnswer;
  let units = 0;
  let fallback = false;
  try {
    answer = await deps.comprehend.detectTargetedSentiment(request.analysed, request.language, deadline);
    units = billingUnits(request.analysed);
  } catch (err) {
    const error = apiErrorOf(err, "Targeted sentiment");
    if (error.code !== "SERVICE_UNAVAILABLE" || !request.allowFallback || !deps.fallback) throw error;
    answer = deps.fallback(request.analysed);
    fallback = true;
  }
  const targets: TargetResult[] = [];
  let cursor = 0;
  const mentions = answer.Entities.flatMap((entity, group) => entity.Mentions.map((m) => ({ m, group }))).sort((a, b) => a.m.BeginOffset - b.m.BeginOffset);
  for (const { m, group } of mentions) {
    // Comprehend's offsets count the analysed text; the caller's are found in what they sent.
    const span = findSpan(request.submitted, m.Text, cursor);
    if (span) cursor = span.end;
    const scores = scoresOf(m.MentionSentiment.SentimentScore);
    targets.push({
      text: m.Text,
      type: m.Type,
      group,
      ...(span ? { begin_offset: span.begin, end_offset: span.end } : {}),
      sentiment: m.MentionSentiment.Sentiment,
      score: labelOf(scores).score,
      ...(request.includeScores ? { scores } : {}),
    });
  }
  return { targets, units, fallback };
}
