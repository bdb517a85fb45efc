/** POST /v1/analyze/batch: PII is redacted per item before anything leaves the edge. */
import { describe, expect, it } from "vitest";
import { call, marker, receivedTexts } from "./helpers.ts";

describe("POST /v1/analyze/batch (security)", () => {
  it("redacts each item's PII and reports its types per item", async () => {
    const m = marker();
    const res = await call("/v1/analyze/batch", {
      body: { items: [{ text: `Mail me at sam@example.com ${m}` }, { text: `No personal data here ${m}` }], options: { language_code: "en" } },
    });
    const body = await res.json<{ results: Record<string, unknown>[] }>();
    expect(body.results[0]).toMatchObject({ pii_detected: true, pii_types: { EMAIL: 1 } });
    expect(body.results[1]).toMatchObject({ pii_detected: false, pii_types: {} });
    const received = (await receivedTexts(m)).map((t) => t.text);
    expect(received).toContain(`Mail me at [EMAIL] ${m}`);
    expect(received.join("\n")).not.toContain("sam@example.com");
  });
});
