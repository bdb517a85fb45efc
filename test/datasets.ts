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

/** The kit's multilingual sets: `<lang>.<split>.csv` (text,label,source; ko.valid is label,text with 0/1). */
export const MULTILINGUAL = ["en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh"] as const;
export const TRAINED = ["en", "es", "fr", "de", "it", "pt", "ar", "hi"] as const;

export interface LabelledText {
  text: string;
  label: Polarity;
}

export function readMultilingual(language: string, split: "train" | "valid"): LabelledText[] {
  const rows = parseCsv(readFileSync(`${DATASETS}multilingual/${language}.${split}.csv`, "utf8"));
  if (language === "ko") return rows.map(([label, text]) => ({ text: text ?? "", label: label === "1" ? "positive" : "negative" }));
  return rows.slice(1).map(([text, label]) => ({ text: text ?? "", label: label as Polarity }));
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(raw: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (raw[i + 1] === '"') (field += '"'), i++;
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\n") row.push(field), rows.push(row), (row = []), (field = "");
    else if (c !== "\r") field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}
