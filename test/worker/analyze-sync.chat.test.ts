/**
 * POST /v1/analyze/sync with real chat traffic: every valid message gets an answer. A message
 * too short to tell, of an unsupported language, or wrapped in markup noise is analysed in the
 * default language (the request's, the key's, else English), and the answer says so.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createKey } from "../../worker/auth/api-keys.ts";
import { analyze, call, marker, newKey, receivedTexts } from "./helpers.ts";

describe("POST /v1/analyze/sync (chat messages)", () => {
  it.each([
    ["ok", "en", "default"],
    ["meh", "en", "default"],
    ["👍", "en", "default"],
    ["lol", "en", "default"],
    ["k", "en", "default"],
    ["a", "en", "default"],
  ])("answers %j, analysed in %s (%s)", async (text, language, source) => {
    const { res, body } = await analyze(text);
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ language_code: language, language_source: source });
    expect(["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"]).toContain(body.sentiment);
  });

  it("detects the language of a real sentence through markup and format-string noise, and of mixed scripts", async () => {
    expect((await analyze(`<script>alert(1)</script> Great product, works well ${marker()}`)).body).toMatchObject({ language_code: "en", language_source: "detected" });
    expect((await analyze(`%s%s%s%n Great product, works well ${marker()}`)).body).toMatchObject({ language_code: "en", language_source: "detected" });
    expect((await analyze("これは最悪です")).body).toMatchObject({ language_code: "ja", language_source: "detected" });
    expect((await analyze("Das ist schlecht")).body).toMatchObject({ language_code: "de", language_source: "detected" });
    expect((await analyze(`Muy bueno 👍 ${marker()}`)).body).toMatchObject({ language_code: "es", language_source: "detected" });
  });

  it("finds the language at the edge: a miss without a language makes exactly one Comprehend call", async () => {
    const m = marker();
    const key = await newKey("basic");
    const { body } = await analyze(`Das Paket kam pünktlich und alles funktioniert ${m}`, {}, { key });
    expect(body).toMatchObject({ language_code: "de", language_source: "detected" });
    // Comprehend saw the text once, for its sentiment in German; never to learn its language.
    expect(await receivedTexts(m)).toEqual([{ text: expect.stringContaining(m), language: "de" }]);
    const usage = (await (await call("/v1/usage", { key })).json()) as { usage: { comprehend_units: number } };
    expect(usage.usage.comprehend_units).toBe(3);
  });

  it("finds each language of a batch at the edge: one sentiment batch per language, nothing else", async () => {
    const m = marker();
    const texts = [`The parcel arrived on time and works ${m}`, `Le colis est arrivé à l'heure, tout marche ${m}`, `El paquete llegó a tiempo y funciona bien ${m}`];
    const res = await call("/v1/analyze/batch", { body: { items: texts.map((text) => ({ text })) } });
    const body = (await res.json()) as { results: { language_code: string; language_source: string }[] };
    expect(body.results.map((r) => [r.language_code, r.language_source])).toEqual([["en", "detected"], ["fr", "detected"], ["es", "detected"]]);
    expect((await receivedTexts(m)).map((t) => t.language).sort()).toEqual(["en", "es", "fr"]);
  });

  it("says the language was given when the caller gave it", async () => {
    expect((await analyze("ok", { language_code: "fr" })).body).toMatchObject({ language_code: "fr", language_source: "given" });
  });

  it("uses the request's default_language, else the key's, for a text too short to tell", async () => {
    const m = marker();
    expect((await analyze(`ok`, { default_language: "es" })).body).toMatchObject({ language_code: "es", language_source: "default" });
    const { key } = await createKey(env.KV, { tenant: `t-${m}`, tier: "basic", defaultLanguage: "de" });
    expect((await analyze("ok", {}, { key })).body).toMatchObject({ language_code: "de", language_source: "default" });
    // The request still wins over the key.
    expect((await analyze("ok", { default_language: "it" }, { key })).body).toMatchObject({ language_code: "it" });
  });

  it("sends a message of an unsupported language for sentiment in the default language instead of refusing it", async () => {
    const m = marker();
    const { res, body } = await analyze(`Это очень хороший продукт, мне он очень понравился ${m}`);
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ language_code: "en", language_source: "default" });
    expect((await receivedTexts(m)).some((t) => t.language === "en")).toBe(true);
  });
});
