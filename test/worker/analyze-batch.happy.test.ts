/** POST /v1/analyze/batch: up to 25 texts, grouped per language, each with its own result. */
import { describe, expect, it } from "vitest";
import { AnalyzeBatchResponse } from "../../shared/schemas.ts";
import { call, marker, receivedTexts } from "./helpers.ts";

const batch = (items: { id?: string; text: string }[], options?: Record<string, unknown>) =>
  call("/v1/analyze/batch", { body: { items, ...(options ? { options } : {}) } });

describe("POST /v1/analyze/batch (happy)", () => {
  it("answers each item in order with its id, detecting languages and grouping calls per language", async () => {
    const m = marker();
    const res = await batch([
      { id: "a", text: `I absolutely love this phone, the battery is amazing ${m}` },
      { id: "b", text: `Terrible delivery, the box arrived broken and late ${m}` },
      { id: "c", text: `Me encanta este producto, es excelente y muy bonito ${m}` },
      { id: "d", text: `El servicio fue horrible y muy lento, no lo recomiendo ${m}` },
    ]);
    expect(res.status).toBe(200);
    const body = AnalyzeBatchResponse.parse(await res.json());
    expect(body).toMatchObject({ succeeded: 4, failed: 0 });
    expect(body.results.map((r) => [r.index, r.id, "sentiment" in r ? r.sentiment : "error", "language_code" in r ? r.language_code : ""])).toEqual([
      [0, "a", "POSITIVE", "en"],
      [1, "b", "NEGATIVE", "en"],
      [2, "c", expect.any(String), "es"],
      [3, "d", expect.any(String), "es"],
    ]);
    const received = await receivedTexts(m);
    // Languages found at the edge, then one BatchDetectSentiment per language group, nothing else.
    expect(received).toHaveLength(4);
    expect(received.filter((t) => t.language === "en")).toHaveLength(2);
    expect(received.filter((t) => t.language === "es")).toHaveLength(2);
  });

  it("analyses a text repeated in a batch once, and serves it from the cache next time", async () => {
    const m = marker();
    const items = [{ text: `Good value ${m}` }, { text: `Good   value ${m}` }, { text: `Bad value, broke fast ${m}` }];
    const first = AnalyzeBatchResponse.parse(await (await batch(items, { language_code: "en" })).json());
    expect(first.succeeded).toBe(3);
    expect(await receivedTexts(m)).toHaveLength(2);
    const second = AnalyzeBatchResponse.parse(await (await batch(items, { language_code: "en" })).json());
    expect(second.results.every((r) => "cached" in r && r.cached)).toBe(true);
    expect(await receivedTexts(m)).toHaveLength(2);
  });

  it("fails a bad item alone and still analyses the others", async () => {
    const m = marker();
    const body = AnalyzeBatchResponse.parse(
      await (await batch([{ text: `Great ${m}` }, { text: "   " }, { text: "x".repeat(5_001) }], { language_code: "en" })).json(),
    );
    expect(body).toMatchObject({ succeeded: 1, failed: 2 });
    expect(body.results[1]).toMatchObject({ index: 1, error: { code: "VALIDATION_ERROR", field: "items.1.text" } });
    expect(body.results[2]).toMatchObject({ index: 2, error: { code: "VALIDATION_ERROR", field: "items.2.text" } });
  });
});
