/** The shared text pipeline as pure functions: no workerd, no local endpoint. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_BATCH_DOCUMENTS, utf8Bytes } from "../../shared/comprehend.ts";
import { batchesByLanguage, sentimentParts } from "../../shared/pipeline/documents.ts";
import { chooseLanguage, languageOf, languageSample } from "../../shared/pipeline/language.ts";
import { resultOfParts } from "../../shared/pipeline/scores.ts";
import { prepareText } from "../../shared/pipeline/text.ts";

describe("prepareText", () => {
  it("redacts before normalising under redact, and keeps a redacted copy under every mode", () => {
    const raw = "  Mail   bob@example.com\n now ";
    expect(prepareText(raw, "redact")).toEqual({ analysed: "Mail [EMAIL] now", redacted: "Mail [EMAIL] now", pii: { detected: true, types: { EMAIL: 1 } } });
    expect(prepareText(raw, "detect")).toMatchObject({ analysed: "Mail bob@example.com now", redacted: "Mail [EMAIL] now", pii: { detected: true } });
    expect(prepareText(raw, "off")).toEqual({ analysed: "Mail bob@example.com now", redacted: "Mail [EMAIL] now", pii: { detected: false, types: {} } });
  });

  it("composes accents (NFC), so the two spellings of a word are one text", () => {
    expect(prepareText("Cafe\u0301", "off").analysed).toBe(prepareText("Caf\u00e9", "off").analysed);
  });
});

describe("language", () => {
  const detected = (...pairs: [string, number][]) => pairs.map(([LanguageCode, Score]) => ({ LanguageCode, Score }));
  it("takes the given language, else a sure supported detection, else the default, and says which", () => {
    expect(chooseLanguage("fr", detected(["de", 0.99]))).toEqual({ language: "fr", source: "given" });
    expect(chooseLanguage(undefined, detected(["es", 0.2], ["de", 0.7]))).toEqual({ language: "de", source: "detected" });
    // "ok": Polish is not a language sentiment is analysed in.
    expect(chooseLanguage(undefined, detected(["pl", 0.5], ["tr", 0.38]))).toEqual({ language: "en", source: "default" });
    // "lol": a tie is a guess.
    expect(chooseLanguage(undefined, detected(["fr", 0.5], ["nl", 0.5]))).toEqual({ language: "en", source: "default" });
    // "meh", "👍": nothing recognised.
    expect(chooseLanguage(undefined, [], "es")).toEqual({ language: "es", source: "default" });
  });

  it("trusts a close best candidate on a sentence's worth of letters, not on a word", () => {
    expect(chooseLanguage(undefined, detected(["hi", 0.52], ["mr", 0.48]), "en", 20)).toEqual({ language: "hi", source: "detected" });
    expect(chooseLanguage(undefined, detected(["hi", 0.52], ["mr", 0.48]), "en", 19)).toEqual({ language: "en", source: "default" });
    // Found in-process, end to end: a Hindi sentence (Marathi scores close) and a one-word message.
    expect(languageOf("प्रदेश की 17 तहसीलों में नवीन कार्यालय भवनों का निर्माण किया जाएगा।", undefined)).toEqual({ language: "hi", source: "detected" });
    expect(languageOf("lol", undefined, "de")).toEqual({ language: "de", source: "default" });
    expect(languageOf("lol", "fr")).toEqual({ language: "fr", source: "given" });
  });

  it("samples at most one sentiment document", () => {
    expect(utf8Bytes(languageSample("Una frase. ".repeat(2_000)))).toBeLessThanOrEqual(5_000);
  });
});

describe("documents", () => {
  it("cuts a long text into parts under 5,000 bytes that join back to it, weighted by length", () => {
    const text = "この製品はとても良いです。".repeat(200);
    const parts = sentimentParts(text, "ja");
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((p) => p.text).join("")).toBe(text);
    expect(parts.every((p) => utf8Bytes(p.text) <= 5_000 && p.weight === [...p.text].length)).toBe(true);
  });

  it("groups documents into batches of at most 25 of one language, in first-seen order", () => {
    const docs = Array.from({ length: 60 }, (_, i) => ({ i, language: i % 3 === 0 ? "es" : "en" }));
    const batches = batchesByLanguage(docs, (d) => d.language);
    expect(batches.map((b) => [b.language, b.docs.length])).toEqual([["es", 20], ["en", 25], ["en", 15]]);
    expect(batches.every((b) => b.docs.length <= MAX_BATCH_DOCUMENTS && b.docs.every((d) => d.language === b.language))).toBe(true);
  });
});

describe("scores", () => {
  it("gives one part's answer as it is, and combines parts by length", () => {
    const positive = { Positive: 0.9, Negative: 0.02, Neutral: 0.07, Mixed: 0.01 };
    const negative = { Positive: 0.1, Negative: 0.8, Neutral: 0.05, Mixed: 0.05 };
    const en = { language: "en", source: "given" } as const;
    expect(resultOfParts([{ score: positive, weight: 10 }], en)).toMatchObject({ sentiment: "POSITIVE", score: 0.9, language_code: "en", language_source: "given" });
    const combined = resultOfParts([{ score: positive, weight: 1 }, { score: negative, weight: 3 }], en);
    expect(combined.sentiment).toBe("NEGATIVE");
    expect(combined.scores!.negative).toBeCloseTo((0.02 + 3 * 0.8) / 4);
    expect(combined.confidence).toBeCloseTo(combined.scores!.negative - combined.scores!.positive);
  });
});

describe("utf8Bytes", () => {
  it("counts what TextEncoder writes, for any string (astral characters, lone surrogates)", () => {
    const encoder = new TextEncoder();
    fc.assert(fc.property(fc.string({ unit: "binary" }), fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)) }), (a, b) => {
      expect(utf8Bytes(a + b)).toBe(encoder.encode(a + b).length);
    }), { numRuns: 500 });
    expect(utf8Bytes("a€😀")).toBe(1 + 3 + 4);
  });
});
