/**
 * Comprehend's scores as the API gives them, and how scores are combined: the parts of one long
 * text (weighted by length) and the items of a batch job (weighted equally) share one rule, so
 * both paths give the same label and scores for the same answers. Scores are rounded to four
 * places (roundScore), Comprehend's and the engine's alike.
 */
import { roundScore, type SentimentLabel, type SentimentScore } from "../comprehend.ts";
import type { Scores, SentimentResult } from "../schemas.ts";
import type { LanguageChoice } from "./language.ts";

export interface WeightedScores {
  scores: Scores;
  weight: number;
}

const LABEL_OF: Record<keyof Scores, SentimentLabel> = {
  positive: "POSITIVE",
  negative: "NEGATIVE",
  neutral: "NEUTRAL",
  mixed: "MIXED",
};

/** Comprehend's SentimentScore in the API's field names, rounded as the API shows scores. */
export function scoresOf(score: SentimentScore): Scores {
  return { positive: roundScore(score.Positive), negative: roundScore(score.Negative), neutral: roundScore(score.Neutral), mixed: roundScore(score.Mixed) };
}

/** The weighted mean of the scores and the label with the highest mean. */
export function aggregateScores(parts: WeightedScores[]): { sentiment: SentimentLabel; score: number; confidence: number; scores: Scores } {
  const total = parts.reduce((n, p) => n + p.weight, 0) || 1;
  const scores: Scores = { positive: 0, negative: 0, neutral: 0, mixed: 0 };
  for (const part of parts) {
    for (const k of Object.keys(scores) as (keyof Scores)[]) scores[k] += (part.scores[k] * part.weight) / total;
  }
  for (const k of Object.keys(scores) as (keyof Scores)[]) scores[k] = roundScore(scores[k]);
  return { ...labelOf(scores), scores };
}

/** One text's result from the answers to its parts (one part: Comprehend's answer as it is). */
export function resultOfParts(parts: { score: SentimentScore; weight: number }[], language: LanguageChoice): SentimentResult {
  const { sentiment, score, confidence, scores } = aggregateScores(parts.map((p) => ({ scores: scoresOf(p.score), weight: p.weight })));
  return { sentiment, score, scores, confidence, language_code: language.language, language_source: language.source };
}

/** The top label, its score, and by how much it leads the runner-up. */
export function labelOf(scores: Scores): { sentiment: SentimentLabel; score: number; confidence: number } {
  const ranked = (Object.entries(scores) as [keyof Scores, number][]).sort((a, b) => b[1] - a[1]);
  const [top, second] = [ranked[0]!, ranked[1]!];
  return { sentiment: LABEL_OF[top[0]], score: top[1], confidence: roundScore(Math.max(0, top[1] - second[1])) };
}
