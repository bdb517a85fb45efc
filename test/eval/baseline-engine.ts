/**
 * Today's engine until 2026-12 (the baseline `npm run eval` compares with): VADER (lexicon + rules,
 * English only) shaped into Comprehend's answer.
 *
 * VADER gives a compound polarity in [-1, 1] and the share of positive, negative and neutral
 * words. Comprehend gives a label among four and four scores summing to 1 with the label's score
 * the highest. The mapping below keeps VADER's own thresholds (|compound| >= 0.05) so the
 * 3-class accuracy is VADER's, and adds MIXED when strong positive and negative words meet.
 */
import vader from "vader-sentiment";
import type { SentimentAnswer, SentimentLabel as Sentiment } from "../../shared/comprehend.ts";

/** VADER's recommended neutral band. */
const POLARITY_THRESHOLD = 0.05;
/** For MIXED, both sides carry at least this share of the words and the overall pull is moderate. */
const MIXED_MIN_SHARE = 0.15;
const MIXED_MAX_COMPOUND = 0.5;

export function analyzeSentiment(text: string): SentimentAnswer {
  const { pos, neg, neu, compound } = vader.SentimentIntensityAnalyzer.polarity_scores(text);
  const sentiment = labelOf(pos, neg, compound);

  // The label's score is > 0.5 by construction (so it is always the top score); the rest is
  // shared among the other labels in proportion to VADER's word shares.
  const strength: Record<Sentiment, number> = {
    POSITIVE: Math.abs(compound),
    NEGATIVE: Math.abs(compound),
    NEUTRAL: neu,
    MIXED: Math.min(pos, neg) / Math.max(pos, neg, Number.EPSILON),
  };
  const top = 0.5 + 0.5 * strength[sentiment];
  // Under MIXED, the side VADER's compound leans to keeps the larger share, so reading a MIXED
  // answer as "positive or negative" agrees with VADER.
  const [lean, against] = [Math.max(pos, neg), Math.min(pos, neg)];
  const mixed = sentiment === "MIXED";
  const weights: Record<Sentiment, number> = {
    POSITIVE: (mixed ? (compound > 0 ? lean : against) : pos) + 1e-3,
    NEGATIVE: (mixed ? (compound > 0 ? against : lean) : neg) + 1e-3,
    NEUTRAL: neu + 1e-3,
    MIXED: Math.min(pos, neg) + 1e-3,
  };
  const others = (Object.keys(weights) as Sentiment[]).filter((s) => s !== sentiment);
  const otherTotal = others.reduce((sum, s) => sum + weights[s], 0);
  const score = (s: Sentiment) => (s === sentiment ? top : ((1 - top) * weights[s]) / otherTotal);

  return {
    Sentiment: sentiment,
    SentimentScore: {
      Positive: score("POSITIVE"),
      Negative: score("NEGATIVE"),
      Neutral: score("NEUTRAL"),
      Mixed: score("MIXED"),
    },
  };
}

function labelOf(pos: number, neg: number, compound: number): Sentiment {
  const magnitude = Math.abs(compound);
  if (
    pos >= MIXED_MIN_SHARE &&
    neg >= MIXED_MIN_SHARE &&
    magnitude >= POLARITY_THRESHOLD &&
    magnitude < MIXED_MAX_COMPOUND
  ) {
    return "MIXED";
  }
  if (compound >= POLARITY_THRESHOLD) return "POSITIVE";
  if (compound <= -POLARITY_THRESHOLD) return "NEGATIVE";
  return "NEUTRAL";
}
