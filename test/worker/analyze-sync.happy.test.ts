/** POST /v1/analyze/sync, the paths a client expects to work. */
import { describe, expect, it } from "vitest";
import { AnalyzeSyncResponse } from "../../shared/schemas.ts";
import { roundScore, utf8Bytes } from "../../shared/comprehend.ts";
import { analyze, call, marker, receivedTexts } from "./helpers.ts";

describe("POST /v1/analyze/sync (happy)", () => {
  it("answers POSITIVE with every field of the contract, then the same from the cache without a Comprehend call", async () => {
    const m = marker();
    const text = `I love this product, it is wonderful! ${m}`;
    const first = await analyze(text);
    expect(first.res.status).toBe(200);
    const body = AnalyzeSyncResponse.parse(first.body);
    expect(body).toMatchObject({ sentiment: "POSITIVE", language_code: "en", pii_detected: false, cached: false });
    expect(body.score).toBe(body.scores!.positive);
    expect(body.scores!.positive + body.scores!.negative + body.scores!.neutral + body.scores!.mixed).toBeCloseTo(1, 3);
    // No float noise: every score, and the confidence, has at most four decimal places.
    for (const v of [...Object.values(body.scores!), body.confidence!]) expect(roundScore(v)).toBe(v);
    expect(body.request_id).toBe(first.res.headers.get("x-request-id"));
    const sentimentCalls = (await receivedTexts(m)).filter((t) => t.language === "en").length;
    expect(sentimentCalls).toBe(1);

    const second = await analyze(text);
    expect(second.body).toMatchObject({ sentiment: "POSITIVE", cached: true, scores: body.scores });
    expect((await receivedTexts(m)).filter((t) => t.language === "en").length).toBe(sentimentCalls);
  });

  it("answers NEGATIVE, NEUTRAL and MIXED texts with those labels", async () => {
    const m = marker();
    expect((await analyze(`This is the worst service, I hate it. ${m}`)).body.sentiment).toBe("NEGATIVE");
    expect((await analyze(`The parcel arrived on Tuesday. ${m}`)).body.sentiment).toBe("NEUTRAL");
    expect((await analyze(`The food was great but the service was terrible. ${m}`)).body.sentiment).toBe("MIXED");
  });

  it("treats texts that differ only in spacing or Unicode form as one cache entry", async () => {
    const m = marker();
    const first = await analyze(`Caf\u00e9 staff were lovely ${m}`);
    const again = await analyze(`  Cafe\u0301   staff were\nlovely ${m}  `);
    expect(first.body.cached).toBe(false);
    expect(again.body.cached).toBe(true);
  });

  it("uses the given language, and detects it otherwise, with one Comprehend call each", async () => {
    const m = marker();
    const given = await analyze(`Me encanta este producto ${m}`, { language_code: "es" });
    expect(given.body.language_code).toBe("es");
    const detected = await analyze(`Me encanta este producto, es excelente y muy bonito ${m} otra vez`);
    expect(detected.body.language_code).toBe("es");
    expect(detected.body.language_source).toBe("detected");
    // Both texts reached Comprehend once, for their sentiment in Spanish; none to learn a language.
    expect((await receivedTexts(m)).map((t) => t.language)).toEqual(["es", "es"]);
  });

  it("accepts the key as X-API-Key too, and omits scores when include_confidence is false", async () => {
    const res = await call("/v1/analyze/sync", {
      key: null,
      headers: { "x-api-key": "aurastream-local-dev-key" },
      body: { text: `Great support team ${marker()}`, options: { include_confidence: false, language_code: "en" } },
    });
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, unknown>>();
    expect(body.sentiment).toBe("POSITIVE");
    expect(body).not.toHaveProperty("scores");
    expect(body).not.toHaveProperty("confidence");
  });

  it("sends rate-limit headers that count down", async () => {
    const a = await analyze(`Fine ${marker()}`, { language_code: "en" });
    const b = await analyze(`Fine ${marker()}`, { language_code: "en" });
    expect(a.res.headers.get("ratelimit-limit")).toBe("100000");
    expect(Number(b.res.headers.get("ratelimit-remaining"))).toBe(Number(a.res.headers.get("ratelimit-remaining")) - 1);
    expect(Number(a.res.headers.get("ratelimit-reset"))).toBeGreaterThan(3500);
  });

  it("splits a 9,000-byte text at sentence bounds into one BatchDetectSentiment and answers one result", async () => {
    const m = marker();
    // Three-byte characters: about 3,300 characters, 9,000 bytes.
    const sentence = `この製品は本当に素晴らしいです${m}。`;
    let text = "";
    while (utf8Bytes(text + sentence) <= 9_000) text += sentence;
    expect(utf8Bytes(text)).toBeGreaterThan(5_000);
    const { res, body } = await analyze(text, { language_code: "ja" });
    expect(res.status).toBe(200);
    expect(body.language_code).toBe("ja");
    const parts = (await receivedTexts(m)).filter((t) => t.language === "ja");
    expect(parts.length).toBe(2);
    for (const part of parts) {
      expect(utf8Bytes(part.text)).toBeLessThanOrEqual(5_000);
      expect(part.text.endsWith("。")).toBe(true);
    }
    expect(parts.map((p) => p.text).join("")).toBe(text);
  });

  it("makes one Comprehend call for identical requests that arrive together", async () => {
    const m = marker();
    const answers = await Promise.all(Array.from({ length: 8 }, () => analyze(`Lovely quick delivery ${m}`, { language_code: "en" })));
    for (const a of answers) expect(a.body.sentiment).toBe("POSITIVE");
    expect(await receivedTexts(m)).toHaveLength(1);
  });
});
