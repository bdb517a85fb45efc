/**
 * POST /v1/analyze/sync with options.sentences (each sentence's sentiment, code-point offsets into
 * the text as submitted) and options.targets (entity- and aspect-level sentiment through
 * DetectTargetedSentiment, answered by the local endpoint in Comprehend's wire shape).
 */
import { describe, expect, it } from "vitest";
import { AnalyzeSyncResponse } from "../../shared/schemas.ts";
import { addFault, call, faultMarkers, marker, newKey, receivedTexts } from "./helpers.ts";

const failing = faultMarkers();

const sync = (text: string, options: Record<string, unknown>, key?: string) => call("/v1/analyze/sync", { body: { text, options }, key });
const slice = (text: string, begin: number, end: number) => [...text].slice(begin, end).join("");
const usageOf = async (key: string) => ((await (await call("/v1/usage", { key })).json()) as { usage: { comprehend_units: number; requests: number } }).usage;

describe("POST /v1/analyze/sync, sentence results", () => {
  it("gives each sentence its sentiment, with offsets into the text exactly as submitted", async () => {
    const m = marker();
    // Leading white space and an emoji before the offsets: code points, not UTF-16 units, and not the trimmed text.
    const text = `  😀 I love the new design ${m}. The app crashes every time I open it! Delivery was on Tuesday.`;
    const res = await sync(text, { language_code: "en", sentences: true });
    expect(res.status).toBe(200);
    const body = AnalyzeSyncResponse.parse(await res.json());
    expect(body.sentences).toHaveLength(3);
    const [first, second, third] = body.sentences!;
    expect(slice(text, first!.begin_offset, first!.end_offset)).toBe(`😀 I love the new design ${m}.`);
    expect(slice(text, second!.begin_offset, second!.end_offset)).toBe("The app crashes every time I open it!");
    expect(slice(text, third!.begin_offset, third!.end_offset)).toBe("Delivery was on Tuesday.");
    expect([first!.sentiment, second!.sentiment]).toEqual(["POSITIVE", "NEGATIVE"]);
    expect(Object.keys(first!.scores!).sort()).toEqual(["mixed", "negative", "neutral", "positive"]);
  });

  it("bills each sentence as a document of its own, and serves repeated sentences from the cache", async () => {
    const m = marker();
    const key = await newKey("premium");
    const text = `Great support ${m}. Terrible app ${m}.`;
    const first = (await (await sync(text, { language_code: "en", sentences: true }, key)).json()) as Record<string, any>;
    expect(first.sentences.map((s: { sentiment: string }) => s.sentiment)).toEqual(["POSITIVE", "NEGATIVE"]);
    // The text and its two sentences: three documents of at least 3 units each.
    expect((await usageOf(key)).comprehend_units).toBe(9);
    expect((await receivedTexts(m)).length).toBe(3);
    await sync(text, { language_code: "en", sentences: true }, key);
    expect((await usageOf(key)).comprehend_units).toBe(9);
  });

  it("answers a one-sentence text with its own result, at no extra cost, and leaves sentences out unless asked", async () => {
    const m = marker();
    const body = (await (await sync(`Fine product ${m}`, { language_code: "en", sentences: true })).json()) as Record<string, any>;
    expect(body.sentences).toEqual([{ begin_offset: 0, end_offset: [...`Fine product ${m}`].length, sentiment: body.sentiment, score: body.score, scores: body.scores }]);
    expect((await receivedTexts(m)).length).toBe(1);
    expect(await (await sync(`Fine product ${m}`, { language_code: "en" })).json()).not.toHaveProperty("sentences");
  });

  it("refuses a text of more than 100 sentences before any work, naming the field", async () => {
    const m = marker();
    const text = Array.from({ length: 101 }, (_, i) => `Item ${i} ${m}.`).join(" ");
    const res = await sync(text, { language_code: "en", sentences: true });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", field: "options.sentences" } });
    expect(await receivedTexts(m)).toEqual([]);
  });
});

describe("POST /v1/analyze/sync, targeted results", () => {
  it("gives each aspect its own sentiment, with offsets into the submitted text", async () => {
    const m = marker();
    const text = `The battery is awful but the screen is gorgeous ${m}`;
    const key = await newKey("premium");
    const res = await sync(text, { targets: true }, key);
    expect(res.status).toBe(200);
    const body = AnalyzeSyncResponse.parse(await res.json());
    expect(body.targets!.map((t) => [t.text, t.sentiment])).toEqual([
      ["The battery", "NEGATIVE"],
      ["the screen", "POSITIVE"],
    ]);
    const screen = body.targets![1]!;
    expect(slice(text, screen.begin_offset!, screen.end_offset!)).toBe("the screen");
    // The sentiment call and the targeted call: both billed.
    expect((await usageOf(key)).comprehend_units).toBe(6);
  });

  it("refuses targets for a text that is not English before any work, naming the field", async () => {
    const m = marker();
    const res = await sync(`Die Batterie ist schlecht, aber der Bildschirm ist toll ${m}`, { targets: true });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", field: "options.targets" } });
    expect(await receivedTexts(m)).toEqual([]);
  });

  it("answers targets from the embedded reading when Comprehend cannot, flagged", async () => {
    const m = failing();
    await addFault({ operation: "DetectTargetedSentiment", kind: "error", status: 500, match: m });
    const res = await sync(`The battery is awful ${m}`, { language_code: "en", targets: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("aurastream-fallback")).toBe("embedded-engine");
    const body = (await res.json()) as Record<string, any>;
    expect(body).toMatchObject({ engine: "embedded", targets: [{ text: "The battery", sentiment: "NEGATIVE" }] });
  });

  it("answers 503 for targets when Comprehend cannot and the request opts out of fallback", async () => {
    const m = failing();
    await addFault({ operation: "DetectTargetedSentiment", kind: "error", status: 500, match: m });
    const res = await sync(`The battery is awful ${m}`, { language_code: "en", targets: true, fallback: false });
    expect(res.status).toBe(503);
  });
});
