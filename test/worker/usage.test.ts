/** GET /v1/usage: the key's own counters, kept by its rate-limiter object. */
import { describe, expect, it } from "vitest";
import { UsageResponse } from "../../shared/schemas.ts";
import { call, marker, newKey } from "./helpers.ts";

describe("GET /v1/usage", () => {
  it("counts requests, characters, Comprehend units and cache hits for this key only", async () => {
    const key = await newKey("basic", "usage-tenant");
    const text = `Helpful and kind ${marker()}`; // 29 characters: 3 units (the minimum)
    for (let i = 0; i < 3; i++) {
      expect((await call("/v1/analyze/sync", { key, body: { text, options: { language_code: "en" } } })).status).toBe(200);
    }
    const res = await call("/v1/usage", { key });
    expect(res.status).toBe(200);
    const body = UsageResponse.parse(await res.json());
    expect(body).toMatchObject({
      tenant_id: "usage-tenant",
      tier: "basic",
      rate_limit: { limit: 10_000, remaining: 10_000 - 4, window_seconds: 3_600 },
      usage: { requests: 3, characters: 3 * text.length, comprehend_units: 3, cache_hits: 2 },
      estimated_cost_usd: 0.0003,
    });
    const other = UsageResponse.parse(await (await call("/v1/usage", { key: await newKey("free") })).json());
    expect(other.usage).toEqual({ requests: 0, characters: 0, comprehend_units: 0, cache_hits: 0, fallback_answers: 0, job_units: 0 });
  });

  it("needs a key", async () => {
    expect((await call("/v1/usage", { key: null })).status).toBe(401);
  });
});
