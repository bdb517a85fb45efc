/**
 * `npm run eval`: measures the embedded engines on the kit's labelled data and prints the
 * figures quoted in README. Baselines (plain VADER) are measured in the same run.
 */
import { Converter } from "opencc-js";
import vader from "vader-sentiment";
import { analyzeSentiment, readWith } from "../../shared/engine/sentiment/index.ts";
import { EMOJI, lexicalExamples, trainLanguage, trainingRows, type Example } from "../../tools/sentiment-training.ts";
import { analyzeSentiment as baselineSentiment } from "./baseline-engine.ts";
import { detectLanguages } from "../../shared/engine/language.ts";
import { DEFAULT_LANGUAGE, languageOf } from "../../shared/pipeline/language.ts";
import { evalPii } from "./pii.ts";
import { MULTILINGUAL, SENTIMENT_FILES, TRAINED, readSentimentFile, readLangid, readMultilingual, type Polarity } from "../datasets.ts";

const toTraditional = Converter({ from: "cn", to: "tw" });
const pct = (n: number, d: number) => (d === 0 ? "n/a" : `${((100 * n) / d).toFixed(1)}%`);

function evalSentiment() {
  console.log("## Sentiment, English (VADER's sets, the odd rows: the engine learned from the even ones; 3 classes: rating > 0.5 positive, < -0.5 negative)\n");
  console.log("| file | texts | AuraStream engine | today's engine (VADER mapping, baseline) | plain VADER | engine labels MIXED |");
  console.log("|---|---|---|---|---|---|");
  for (const file of SENTIMENT_FILES) {
    const rows = readSentimentFile(file).filter((_, i) => i % 2 === 1);
    let engineOk = 0, baselineOk = 0, vaderOk = 0, mixed = 0;
    rows.forEach((row) => {
      const p = analyzeSentiment(row.text, "en");
      if (p.Sentiment === "MIXED") mixed++;
      if (threeClass(p.Sentiment, p.SentimentScore) === row.polarity) engineOk++;
      const b = baselineSentiment(row.text);
      if (threeClass(b.Sentiment, b.SentimentScore) === row.polarity) baselineOk++;
      const c = vader.SentimentIntensityAnalyzer.polarity_scores(row.text).compound;
      const v: Polarity = c >= 0.05 ? "positive" : c <= -0.05 ? "negative" : "neutral";
      if (v === row.polarity) vaderOk++;
    });
    console.log(`| ${file} | ${rows.length} | ${pct(engineOk, rows.length)} | ${pct(baselineOk, rows.length)} | ${pct(vaderOk, rows.length)} | ${pct(mixed, rows.length)} |`);
  }
  console.log();
}

/**
 * Per language on the kit's valid splits (3 classes; ko 2: positive vs negative), the engine
 * against today's engine in the same run. en..hi were trained on their train split; ja, ko, zh
 * have none (lexicon models), so their figures are the closest to held-out ones here.
 */
function evalMultilingual() {
  console.log("## Sentiment per language (../shared/datasets/multilingual/<lang>.valid.csv)\n");
  console.log("| language | texts | AuraStream engine | today's engine (baseline) | engine answers NEUTRAL |");
  console.log("|---|---|---|---|---|");
  const accuracies: number[] = [];
  const baselines: number[] = [];
  let texts = 0;
  let seconds = 0;
  for (const language of MULTILINGUAL) {
    const rows = readMultilingual(language, "valid");
    const t0 = performance.now();
    const answers = rows.map((r) => analyzeSentiment(r.text, language));
    seconds += (performance.now() - t0) / 1000;
    texts += rows.length;
    const twoClass = language === "ko";
    const label = (a: { Sentiment: string; SentimentScore: { Positive: number; Negative: number } }): Polarity =>
      twoClass ? (a.SentimentScore.Positive >= a.SentimentScore.Negative ? "positive" : "negative") : threeClass(a.Sentiment, a.SentimentScore);
    // Korean's model learned from these very rows: its figure is cross-validated instead.
    const ok = twoClass ? crossValidated(language, rows) : rows.filter((r, i) => label(answers[i]!) === r.label).length;
    const baseOk = rows.filter((r) => label(baselineSentiment(r.text)) === r.label).length;
    const neutral = answers.filter((a) => a.Sentiment === "NEUTRAL").length;
    accuracies.push(ok / rows.length);
    baselines.push(baseOk / rows.length);
    console.log(`| ${language}${twoClass ? " (2 classes, 5-fold cross-validated)" : ""} | ${rows.length} | ${pct(ok, rows.length)} | ${pct(baseOk, rows.length)} | ${pct(neutral, rows.length)} |`);
  }
  // zh-TW has no labelled set here: zh's in traditional characters (OpenCC) shows what its shared model reads.
  const traditional = readMultilingual("zh", "valid").map((r) => ({ ...r, text: toTraditional(r.text) }));
  const asLabel = (a: ReturnType<typeof analyzeSentiment>) => threeClass(a.Sentiment, a.SentimentScore);
  const twOk = traditional.filter((r) => asLabel(analyzeSentiment(r.text, "zh-TW")) === r.label).length;
  const twBase = traditional.filter((r) => asLabel(baselineSentiment(r.text)) === r.label).length;
  console.log(`| zh-TW (zh's set in traditional characters; not in the mean) | ${traditional.length} | ${pct(twOk, traditional.length)} | ${pct(twBase, traditional.length)} | |`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`| **mean of ${MULTILINGUAL.length}** | | **${(100 * mean(accuracies)).toFixed(1)}%** (lowest ${(100 * Math.min(...accuracies)).toFixed(1)}%) | ${(100 * mean(baselines)).toFixed(1)}% (lowest ${(100 * Math.min(...baselines)).toFixed(1)}%) | |`);
  console.log(`\nEngine throughput over these ${texts} texts: ${Math.round(texts / seconds)} texts/s on one core (target >= 3,000).\n`);
}

/**
 * How many of `rows` a model trained as the shipped one is, but without them, gets right: five
 * folds, each read by a model that learned from the other four (and the other languages' lexical
 * examples, as in tools/train-sentiment.ts). Two classes: positive vs negative.
 */
function crossValidated(language: string, rows: { text: string; label: Polarity }[]): number {
  const FOLDS = 5;
  const others: Example[] = TRAINED.flatMap((l) => lexicalExamples(l, trainingRows(l)));
  let ok = 0;
  for (let fold = 0; fold < FOLDS; fold++) {
    const learn = rows.filter((_, i) => i % FOLDS !== fold);
    const model = trainLanguage(language, learn, others, 1000 + fold, `fold ${fold}`);
    ok += rows.filter((r, i) => {
      if (i % FOLDS !== fold) return false;
      const [negative, , positive] = readWith(model, EMOJI, r.text, language).probabilities;
      return (positive >= negative ? "positive" : "negative") === r.label;
    }).length;
  }
  return ok;
}

/**
 * What the engine makes of text with no sentiment to speak of: lingua's test sentences (news and
 * encyclopaedia text) per language, the share answered NEUTRAL and each other label.
 */
function evalFactual() {
  console.log("## Factual sentences (lingua's test sentences): the engine's labels\n");
  console.log("| language | sentences | NEUTRAL | POSITIVE | NEGATIVE | MIXED |");
  console.log("|---|---|---|---|---|---|");
  const sentences = readLangid().filter((r) => r.kind === "sentences");
  for (const language of MULTILINGUAL) {
    const rows = sentences.filter((r) => r.lang === language);
    const counts = { NEUTRAL: 0, POSITIVE: 0, NEGATIVE: 0, MIXED: 0 };
    for (const r of rows) counts[analyzeSentiment(r.text, language).Sentiment]++;
    console.log(`| ${language} | ${rows.length} | ${pct(counts.NEUTRAL, rows.length)} | ${pct(counts.POSITIVE, rows.length)} | ${pct(counts.NEGATIVE, rows.length)} | ${pct(counts.MIXED, rows.length)} |`);
  }
  console.log();
}

/** Phrases users reported; the engine's answer for each. */
/**
 * How much a split's labels can be learned at all: a plain multinomial naive Bayes on words,
 * fitted on <lang>.train.csv and scored on <lang>.valid.csv (3 balanced classes: chance 33.3%).
 * A language where this stays at chance has labels its words barely predict.
 */
function evalLearnability() {
  console.log("## How learnable each train split is (word naive Bayes, train -> valid; chance 33.3%)\n");
  console.log("| language | naive Bayes on words | AuraStream engine (above) |");
  console.log("|---|---|---|");
  const words = (text: string) => new Set(text.toLowerCase().replace(/https?:\/\/\S+|@\w+/g, " ").match(/[\p{L}\p{M}\p{N}']+/gu) ?? []);
  const classes: Polarity[] = ["negative", "neutral", "positive"];
  for (const language of TRAINED) {
    const counts = new Map(classes.map((c) => [c, new Map<string, number>()]));
    const docs = new Map(classes.map((c) => [c, 0]));
    for (const { text, label } of readMultilingual(language, "train")) {
      docs.set(label, docs.get(label)! + 1);
      for (const w of words(text)) counts.get(label)!.set(w, (counts.get(label)!.get(w) ?? 0) + 1);
    }
    const vocabulary = new Set(classes.flatMap((c) => [...counts.get(c)!.keys()]));
    const totals = new Map(classes.map((c) => [c, [...counts.get(c)!.values()].reduce((a, b) => a + b, 0)]));
    const valid = readMultilingual(language, "valid");
    const ok = valid.filter(({ text, label }) => {
      const score = (c: Polarity) =>
        Math.log(docs.get(c)!) +
        [...words(text)].filter((w) => vocabulary.has(w)).reduce((sum, w) => sum + Math.log(((counts.get(c)!.get(w) ?? 0) + 1) / (totals.get(c)! + vocabulary.size)), 0);
      return classes.reduce((best, c) => (score(c) > score(best) ? c : best)) === label;
    }).length;
    const engineOk = valid.filter((r) => threeClass(analyzeSentiment(r.text, language).Sentiment, analyzeSentiment(r.text, language).SentimentScore) === r.label).length;
    console.log(`| ${language} | ${pct(ok, valid.length)} | ${pct(engineOk, valid.length)} |`);
  }
  console.log();
}

function evalProbes() {
  const probes: [string, string][] = [
    ["Terrible support, I want a refund.", "en"], ["The app crashes every time I open the settings page", "en"], ["Awful support", "en"],
    ["👍", "en"], ["👎", "en"], ["😡", "en"], ["❤️", "en"], [":)", "en"], ["ok", "en"], ["Das ist schlecht", "de"], ["C'est nul", "fr"],
    ["Muy bueno 👍", "es"], ["Me encanta este producto, es excelente", "es"], ["これは最悪です", "ja"], ["非常好", "zh"], ["최고의 영화", "ko"],
  ];
  console.log("## Reported phrases\n");
  console.log("| text | language | AuraStream engine | today's engine |");
  console.log("|---|---|---|---|");
  for (const [text, language] of probes) {
    const a = analyzeSentiment(text, language);
    const b = baselineSentiment(text);
    const show = (x: typeof a) => `${x.Sentiment} ${Math.max(...Object.values(x.SentimentScore))}`;
    console.log(`| ${text} | ${language} | ${show(a)} | ${show(b)} |`);
  }
  console.log();
}

/** MIXED is a fourth class the 3-class sets do not have: count it as the side it leans to. */
function threeClass(s: string, scores: { Positive: number; Negative: number }): Polarity {
  if (s === "MIXED") return scores.Positive >= scores.Negative ? "positive" : "negative";
  return s.toLowerCase() as Polarity;
}

/**
 * The edge detector (what both paths run, eld small) by text length, against eld's large model
 * as the baseline of the same run, and what the language rule makes of its answers: detected
 * (right or wrong) or handed to the default language.
 */
async function evalLanguage() {
  const { eld: large } = await import("eld/large");
  const rows = readLangid();
  console.log("## Language detection by length (lingua test data, 11 languages)\n");
  console.log("| kind | texts | edge detector (eld small) | eld large (baseline) | chosen: detected right | detected wrong | handed to the default | edge texts/s |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const kind of ["single-words", "word-pairs", "sentences"]) {
    const subset = rows.filter((r) => r.kind === kind);
    let edgeOk = 0, largeOk = 0, right = 0, wrong = 0, fallback = 0;
    const t0 = performance.now();
    const found = subset.map((r) => detectLanguages(r.text));
    const seconds = (performance.now() - t0) / 1000;
    subset.forEach((r, i) => {
      if (found[i]![0]?.LanguageCode === r.lang) edgeOk++;
      if (large.detect(r.text).language === r.lang) largeOk++;
      const choice = languageOf(r.text, undefined, DEFAULT_LANGUAGE);
      if (choice.source === "default") fallback++;
      else if (choice.language === r.lang) right++;
      else wrong++;
    });
    const n = subset.length;
    console.log(`| ${kind} | ${n} | ${pct(edgeOk, n)} | ${pct(largeOk, n)} | ${pct(right, n)} | ${pct(wrong, n)} | ${pct(fallback, n)} | ${Math.round(n / seconds)} |`);
  }
  console.log("\nHanded to the default: detection unsure (two best within 0.1 on fewer than 20 letters) or a language sentiment cannot be analysed in.\n");
}

evalMultilingual();
evalLearnability();
evalSentiment();
evalFactual();
evalProbes();
await evalLanguage();
evalPii();
