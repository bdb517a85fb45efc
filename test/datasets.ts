/** Readers for the team kit's labelled data (../shared/datasets), for eval and benchmarks only. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const DATASETS = fileURLToPath(new URL("../../shared/datasets/", import.meta.url));

export const SENTIMENT_FILES = ["tweets", "movieReviewSnippets", "amazonReviewSnippets", "nytEditorialSnippets"];

export type Polarity = "positive" | "negative" | "neutral";

export interface RatedText {
  rating: number;
  text: string;
  /** The kit's 3-class convention: > 0.5 positive, < -0.5 negative. */
  polarity: Polarity;
}

export function readSentimentFile(name: string): RatedText[] {
  const raw = readFileSync(`${DATASETS}sentiment/${name}_GroundTruth.txt`, "utf8");
  return raw
    .split(/\r?\n/)
    .filter(Boolean)
    .map((line) => {
      const [, rating, ...rest] = line.split("\t");
      const r = Number(rating);
      const polarity: Polarity = r > 0.5 ? "positive" : r < -0.5 ? "negative" : "neutral";
      return { rating: r, text: rest.join("\t"), polarity };
    });
}

export interface LangSample {
  lang: string;
  kind: string;
  text: string;
}

export function readLangid(): LangSample[] {
  const raw = readFileSync(`${DATASETS}langid/lingua_testdata_11lang.tsv`, "utf8");
  return raw
    .split("\n")
    .slice(1)
    .filter(Boolean)
    .map((line) => {
      const [lang, kind, ...rest] = line.split("\t");
      return { lang: lang!, kind: kind!, text: rest.join("\t") };
    });
}

export function readJsonl<T>(relative: string): T[] {
  return readFileSync(`${DATASETS}${relative}`, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}
