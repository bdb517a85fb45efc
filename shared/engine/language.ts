/**
 * Embedded language detector (eld, n-gram model, 60 languages) shaped into Comprehend's
 * DetectDominantLanguage answer. Node-side only in practice: the large model is ~4 MB of JS.
 */
import { eld } from "eld/large";
import type { DominantLanguage } from "../comprehend.ts";

const SHARPEN = 10;

/** Languages ranked by score, best first; empty when nothing could be recognised. */
export function detectLanguages(text: string, max = 3): DominantLanguage[] {
  const result = eld.detect(text);
  if (!result.language) return [];
  // eld's scores are per-language similarities, not a distribution; raising them to a power
  // before normalising keeps the ranking and gives the clear winner a Comprehend-like score.
  const scores = Object.entries(result.getScores())
    .filter(([, s]) => s > 0)
    .map(([code, s]) => [code, s ** SHARPEN] as const);
  const total = scores.reduce((sum, [, s]) => sum + s, 0);
  if (total <= 0) return [{ LanguageCode: result.language, Score: 1 }];
  return scores
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([code, s]) => ({ LanguageCode: code, Score: s / total }));
}
