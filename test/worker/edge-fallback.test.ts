/**
 * When Comprehend cannot answer in time, the Worker answers from the embedded engine: flagged in
 * the body (engine: embedded) and a header, never cached as Comprehend's answer, counted apart
 * in usage, dead-lettered for a later replay, and refused per request or per key (503 then).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createKey } from "../../worker/auth/api-keys.ts";
import { addFault, call, clearFaults, deadLetters, faultMarkers, newKey } from "./helpers.ts";

const failing = faultMarkers();

const sync = (text: string, options: Record<string, unknown> = {}, key?: string) =>
  call("/v1/analyze/sync", { body: { text, options: { language_code: "en", ...options } }, key });

describe("edge fallback", () => {
  it("answers from the embedded engine when Comprehend keeps failing, flagged", async () => {
    const m = failing();
    await addFault({ operation: "DetectSentiment", kind: "error", status: 500, match: m });
    const res = await sync(`I love this product ${m}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("aurastream-fallback")).toBe("embedded-engine");
    expect(await res.json()).toMatchObject({ sentiment: "POSITIVE", engine: "embedded", cached: false, language_code: "en", language_source: "given" });
    // Dead-lettered all the same, so a replay can cache Comprehend's answer.
    expect(await deadLetters(m)).toHaveLength(1);
  });

  it("never caches a fallback answer: once Comprehend is back, it answers and the next is a hit", async () => {
    const m = failing();
    await addFault({ operation: "DetectSentiment", kind: "error", status: 500, match: m });
    const text = `Terrible delay, very annoyed ${m}`;
    expect(await (await sync(text)).json()).toMatchObject({ engine: "embedded" });
    await clearFaults(m);
    expect(await (await sync(text)).json()).toMatchObject({ engine: "comprehend", cached: false });
    expect(await (await sync(text)).json()).toMatchObject({ engine: "comprehend", cached: true });
  });

  it("answers 503 instead when the request or the key opts out", async () => {
    const m = failing();
    await addFault({ operation: "DetectSentiment", kind: "error", status: 500, match: m });
    expect((await sync(`Opted out ${m}`, { fallback: false })).status).toBe(503);
    const { key } = await createKey(env.KV, { tenant: `strict-${m}`, tier: "premium", fallback: false });
    const res = await sync(`Key opted out ${m}`, {}, key);
    expect(res.status).toBe(503);
    expect(res.headers.get("aurastream-fallback")).toBeNull();
  });

  it("flags each fallback item of a batch, and counts fallback answers apart in usage", async () => {
    const m = failing();
    const key = await newKey("premium");
    await addFault({ operation: "BatchDetectSentiment", kind: "error", status: 500, match: m });
    const res = await call("/v1/analyze/batch", { key, body: { items: [{ text: `Great ${m}` }, { text: `Awful ${m}` }], options: { language_code: "en" } } });
    expect(res.status).toBe(200);
    expect(res.headers.get("aurastream-fallback")).toBe("embedded-engine");
    const body = (await res.json()) as { results: { engine: string; sentiment: string }[] };
    expect(body.results.map((r) => [r.engine, r.sentiment])).toEqual([
      ["embedded", "POSITIVE"],
      ["embedded", "NEGATIVE"],
    ]);
    const usage = (await (await call("/v1/usage", { key })).json()) as { usage: { fallback_answers: number; comprehend_units: number } };
    expect(usage.usage).toMatchObject({ fallback_answers: 2, comprehend_units: 0 });
  });
});
