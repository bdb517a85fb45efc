/** The per-key Durable Object: an exact limit over any rolling hour, even under concurrency. */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { WINDOW_MS } from "../../worker/rate-limiter/durable-object.ts";

const limiterFor = (name: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));

describe("RateLimiter", () => {
  it("allows exactly the limit when many requests arrive at once", async () => {
    const limiter = limiterFor("concurrent");
    const decisions = await Promise.all(Array.from({ length: 60 }, () => limiter.take(25)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    const denied = decisions.find((d) => !d.allowed)!;
    expect(denied).toMatchObject({ limit: 25, remaining: 0 });
    expect(denied.resetSeconds).toBeGreaterThan(3500);
    expect(denied.resetSeconds).toBeLessThanOrEqual(3601);
  });

  it("counts remaining down and refuses the request after the limit", async () => {
    const limiter = limiterFor("sequential");
    const t0 = Date.UTC(2026, 10, 22, 12, 0, 0);
    expect(await limiter.take(3, t0)).toEqual({ allowed: true, limit: 3, remaining: 2, resetSeconds: 3601 });
    expect(await limiter.take(3, t0 + 10)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.take(3, t0 + 20)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await limiter.take(3, t0 + 30)).toMatchObject({ allowed: false, remaining: 0 });
  });

  it("never lets a 60-minute window hold more than the limit, and frees capacity as the window rolls", async () => {
    const limiter = limiterFor("rolling");
    const t0 = Date.UTC(2026, 10, 22, 12, 0, 0) + 900; // late in a second
    await limiter.take(2, t0);
    await limiter.take(2, t0 + 30 * 60 * 1000); // half an hour later
    // Just under an hour after the first: still two in the window.
    expect((await limiter.take(2, t0 + WINDOW_MS - 1)).allowed).toBe(false);
    // Once the first request's whole second is more than an hour old, one slot frees.
    const later = t0 - 900 + 1000 + WINDOW_MS;
    expect(await limiter.take(2, later)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await limiter.take(2, later + 1)).allowed).toBe(false);
  });

  it("keeps one key's count apart from another's", async () => {
    await Promise.all(Array.from({ length: 5 }, () => limiterFor("key-a").take(5)));
    expect((await limiterFor("key-a").take(5)).allowed).toBe(false);
    expect((await limiterFor("key-b").take(5)).allowed).toBe(true);
  });

  it("accumulates the key's usage", async () => {
    const limiter = limiterFor("usage");
    await limiter.recordUsage({ requests: 1, characters: 120, comprehend_units: 3 });
    await limiter.recordUsage({ requests: 1, characters: 30, cache_hits: 1, fallback_answers: 1 });
    expect(await limiter.usage()).toEqual({ requests: 2, characters: 150, comprehend_units: 3, cache_hits: 1, fallback_answers: 1 });
  });
});
