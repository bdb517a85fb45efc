/**
 * Embedded sentiment engine, in Comprehend's answer shape, for the languages Comprehend reads:
 * a compact classifier per language (tools/train-sentiment.ts trains it on the kit's openly
 * licensed labelled tweets, and Korean's on its NSMC movie reviews, and ships it as
 * model.generated.ts) over word, word-pair, character and character-gram features and polarity
 * lexicons (words, emoji, emoticons). ja and zh, whose only labelled data here may not ship in a
 * model, get a lexicon model: their own lexicon and review hedges, with the weights of the
 * lexicon features learned on the other languages; zh-TW reads zh's.
 *
 * The classifier gives P(negative), P(neutral), P(positive); MIXED is the share where positive
 * and negative pull at once. Four scores that sum to 1, rounded to 4 places.
 */
import { roundScore, type SentimentAnswer, type SentimentLabel } from "../../comprehend.ts";
import { entry, featuresOf, gramFeatures } from "./features.ts";
import { MODEL } from "./model.generated.ts";
import type { ClassWeights, LanguageModel } from "./model.ts";

export const ENGINE_LANGUAGES = Object.keys(MODEL.languages);

/** The language whose model reads `language` (zh-TW reads zh's; an unknown one, English's). */
function modelLanguage(language: string): string {
  const name = entry(MODEL.aliases, language) ?? language;
  return entry(MODEL.languages, name) ? name : "en";
}

/** The three class probabilities (negative, neutral, positive) the language's model gives. */
export function classProbabilities(text: string, language = "en"): ClassWeights {
  return read(text, language).probabilities;
}

function read(text: string, language: string): Reading {
  const name = modelLanguage(language);
  return readWith(MODEL.languages[name]!, MODEL.emoji, text, name);
}

interface Reading {
  probabilities: ClassWeights;
  /** The lexicon's words of both signs (lex:both), and whether they sit on two sides of a "but". */
  bothSides: number;
  contrast: boolean;
}

/** What one language's model reads in a text (the trainer and `npm run eval` score models they built with it). */
export function readWith(model: LanguageModel, emoji: Record<string, number>, text: string, language: string): Reading {
  const { normalized, tokens, dense } = featuresOf(text, language, model.lexicon, emoji);
  const z: ClassWeights = [...model.bias];
  for (const token of tokens) {
    const w = entry(model.weights, token);
    if (w) for (let c = 0; c < 3; c++) z[c]! += w[c]!;
  }
  for (const [feature, value] of Object.entries(dense)) {
    const w = entry(model.weights, feature);
    if (w && value !== 0) for (let c = 0; c < 3; c++) z[c]! += w[c]! * value;
  }
  if (model.grams) {
    for (const [w, value] of gramFeatures(normalized, (g) => entry(model.weights, g))) for (let c = 0; c < 3; c++) z[c]! += w[c]! * value;
  }
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max)) as ClassWeights;
  const total = e[0] + e[1] + e[2];
  return { probabilities: [e[0] / total, e[1] / total, e[2] / total], bothSides: dense["lex:both"] ?? 0, contrast: dense["mix:contrast"] === 1 };
}

export function analyzeSentiment(text: string, language = "en"): SentimentAnswer {
  const { probabilities, bothSides, contrast } = read(text, language);
  const [negative, neutral, positive] = probabilities;
  // MIXED: both sides pull at once; strongest when they are equal, leave little neutral, and the
  // lexicon found strong words of both signs ("great screen, awful battery"), above all on the
  // two sides of a "but".
  const both = (2 * Math.min(positive, negative)) ** 2 * (1 - neutral) * (1 + 2 * bothSides);
  const mixed = both + (contrast ? (1 - neutral) * Math.tanh(bothSides) : 0);
  // A floor under each score keeps all four distinct from 0 after rounding, as Comprehend's are.
  const floor = 0.001;
  const total = positive + negative + neutral + mixed + 4 * floor;
  const labels: [SentimentLabel, number][] = [
    ["POSITIVE", positive],
    ["NEGATIVE", negative],
    ["NEUTRAL", neutral],
    ["MIXED", mixed],
  ];
  const [label] = labels.reduce((best, next) => (next[1] > best[1] ? next : best));
  return {
    Sentiment: label,
    SentimentScore: {
      Positive: roundScore((positive + floor) / total),
      Negative: roundScore((negative + floor) / total),
      Neutral: roundScore((neutral + floor) / total),
      Mixed: roundScore((mixed + floor) / total),
    },
  };
}
