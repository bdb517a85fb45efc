/**
 * The embedded sentiment model's shape: per language, a multinomial logistic regression over
 * featuresOf()'s features (weights for NEGATIVE, NEUTRAL, POSITIVE) and the lexicon it reads.
 * Written by tools/train-sentiment.ts into model.generated.ts; read by the engine.
 */
import type { Lexicon } from "./features.ts";

/** Weights in class order: negative, neutral, positive. */
export type ClassWeights = [number, number, number];

export interface LanguageModel {
  bias: ClassWeights;
  weights: Record<string, ClassWeights>;
  lexicon: Lexicon;
  /**
   * Whether the language also reads character grams (gramFeatures; their weights are the "g:"
   * entries of `weights`, from a regression of their own whose logits add to the main one's).
   */
  grams?: boolean;
  /** How this language's weights were obtained, for the record. */
  trainedOn: string;
}

export interface SentimentModel {
  version: string;
  /** Emoji and emoticons -> valence, read in every language. */
  emoji: Record<string, number>;
  languages: Record<string, LanguageModel>;
  /** A language read with another's model (zh-TW with zh: there is no labelled zh-TW data). */
  aliases: Record<string, string>;
  /** Where each lexicon and data set came from, and its licence. */
  sources: string[];
}
