/**
 * Permits reserved a few at a time (worker/rate-limiter/permits.ts) against the real Durable
 * Object: still exactly the limit, in one isolate or several sharing a key.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { PermitPool } from "../../worker/rate-limiter/permits.ts";
import { UsageBuffer } from "../../worker/rate-limiter/usage-buffer.ts";

const limiterFor = (name: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));

function pool() {
  const background: Promise<unknown>[] = [];
  const permits = new PermitPool(new UsageBuffer());
  const counter = { calls: 0 };
  const counted = (key: string) => {
    const real = limiterFor(key);
    return { reserve: (...args: Parameters<typeof real.reserve>) => (counter.calls++, real.reserve(...args)) };
  };
  return {
    acquire: (key: string, limit: number) => permits.acquire(key, limit, () => counted(key), (w) => background.push(w)),
    settled: () => Promise.all(background),
    counter,
  };
}

describe("PermitPool", () => {
  it("does not leave a request waiting on a reservation that never comes back (its request was cancelled)", async () => {
    const permits = new PermitPool(new UsageBuffer());
    const real = limiterFor("abandoned");
    let calls = 0;
    // The first call to the object never answers, as when the request that made it is cancelled.
    const stub = () => ({ reserve: (...args: Parameters<typeof real.reserve>) => (++calls === 1 ? new Promise<never>(() => {}) : real.reserve(...args)) });
    void permits.acquire("abandoned", 100, stub, () => {});
    const started = Date.now();
    const second = await permits.acquire("abandoned", 100, stub, () => {});
    expect(second.allowed).toBe(true);
    // Its own call (and one more if the first object call of the run took past its second).
    expect(calls).toBeGreaterThanOrEqual(2);
    // It waited about a second for the other request's call, then made its own.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("grants exactly the limit to a burst, with far fewer calls to the object than requests", async () => {
    const { acquire, counter } = pool();
    const decisions = await Promise.all(Array.from({ length: 2_600 }, () => acquire("burst", 2_000)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(2_000);
    expect(counter.calls).toBeLessThan(400);
    const refused = decisions.find((d) => !d.allowed)!;
    expect(refused.remaining).toBe(0);
    expect(refused.resetSeconds).toBeGreaterThan(3_500);
  });

  it("counts remaining down across locally spent permits", async () => {
    const { acquire } = pool();
    const remaining = [];
    for (let i = 0; i < 5; i++) remaining.push((await acquire("countdown", 100)).remaining);
    expect(remaining).toEqual([99, 98, 97, 96, 95]);
  });

  it("stays exact when two isolates share a key, and hands back unspent permits when their second ends", async () => {
    const a = pool();
    const b = pool();
    const key = "shared";
    const limit = 400;
    const first = await Promise.all([
      ...Array.from({ length: 30 }, () => a.acquire(key, limit)),
      ...Array.from({ length: 300 }, () => b.acquire(key, limit)),
    ]);
    await Promise.all([a.settled(), b.settled()]); // the end-of-second hand-backs
    const second = await Promise.all(Array.from({ length: 200 }, () => b.acquire(key, limit)));
    const allowed = [...first, ...second].filter((d) => d.allowed).length;
    expect(allowed).toBe(limit);
  });
});
