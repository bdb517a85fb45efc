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
    expect(await limiter.usage()).toEqual({ requests: 2, characters: 150, comprehend_units: 3, cache_hits: 1, fallback_answers: 1, job_units: 0 });
  });
});

describe("RateLimiter spend (Comprehend units and job slots)", () => {
  const limits = { units_per_hour: 100, units_per_day: 150 };
  const t0 = Date.UTC(2026, 11, 6, 12, 0, 30);

  it("takes exactly the hourly units when many requests spend at once, and names the limit it refused with", async () => {
    const limiter = limiterFor("units-concurrent");
    const decisions = await Promise.all(Array.from({ length: 40 }, () => limiter.spendUnits(limits, 7)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(14); // 14 x 7 = 98 <= 100
    const refused = decisions.find((d) => !d.allowed)!;
    expect(refused).toMatchObject({ limit: "units_per_hour", limitValue: 100, used: 98 });
    expect(refused.retryAfter).toBeGreaterThan(3500);
    expect(refused.retryAfter).toBeLessThanOrEqual(3660);
  });

  it("counts the day apart from the hour, and gives room back as the windows roll", async () => {
    const limiter = limiterFor("units-windows");
    expect(await limiter.spendUnits(limits, 90, t0)).toMatchObject({ allowed: true });
    // An hour and a minute later the hour has room again, but the day holds 90 + 60 = 150.
    expect(await limiter.spendUnits(limits, 60, t0 + WINDOW_MS + 60_000)).toMatchObject({ allowed: true });
    const refused = await limiter.spendUnits(limits, 1, t0 + WINDOW_MS + 120_000);
    expect(refused).toMatchObject({ allowed: false, limit: "units_per_day", used: 150 });
    // The first 90 leave the day's window a minute after the day ends.
    expect(refused.retryAfter).toBeGreaterThan(22 * 3600);
    expect((await limiter.spendUnits(limits, 1, t0 + 24 * WINDOW_MS + 60_000)).allowed).toBe(true);
  });

  it("gives back what the work did not bill, and refuses a spend larger than the limit without a retry_after", async () => {
    const limiter = limiterFor("units-refund");
    const taken = await limiter.spendUnits(limits, 100, t0);
    expect((await limiter.spendUnits(limits, 1, t0 + 1_000)).allowed).toBe(false);
    await limiter.refundUnits(taken.minute, 40);
    expect(await limiter.spendUnits(limits, 40, t0 + 2_000)).toMatchObject({ allowed: true });
    const tooLarge = await limiter.spendUnits(limits, 101, t0 + 3_000);
    expect(tooLarge).toMatchObject({ allowed: false, limit: "units_per_hour" });
    expect(tooLarge.retryAfter).toBeUndefined();
  });

  it("holds a job's estimate until it is settled once to what it billed", async () => {
    const limiter = limiterFor("units-jobs");
    const job = { job_id: "job_a", tenant_id: "t", units: 80 };
    expect(await limiter.reserveJob(limits, job, t0)).toMatchObject({ allowed: true });
    // The same job again is not charged twice.
    expect(await limiter.reserveJob(limits, job, t0 + 1_000)).toMatchObject({ allowed: true, openJobs: 1 });
    expect(await limiter.spendStatus(t0 + 2_000)).toMatchObject({ units_last_hour: 80, units_reserved_for_jobs: 80, open_jobs: [{ job_id: "job_a", units: 80 }] });
    expect(await limiter.settleJob("job_a", 30, t0 + 3_000)).toBe(true);
    expect(await limiter.settleJob("job_a", 30, t0 + 4_000)).toBe(false);
    expect(await limiter.spendStatus(t0 + 5_000)).toMatchObject({ units_last_hour: 30, units_reserved_for_jobs: 0, open_jobs: [] });
    expect(await limiter.usage()).toMatchObject({ comprehend_units: 30, job_units: 30 });
  });

  it("admits exactly the concurrent-jobs limit however many submissions race, and frees a slot when told", async () => {
    const tenant = limiterFor("tenant:slots");
    const decisions = await Promise.all(Array.from({ length: 8 }, (_, i) => tenant.admitJob({ job_id: `job_${i}`, key: "k", units: 3 }, 3)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(3);
    expect(decisions.find((d) => !d.allowed)).toMatchObject({ active: 3, limit: 3 });
    const admitted = (await tenant.jobSlots()).map((s) => s.job_id);
    expect(admitted).toHaveLength(3);
    // A job already admitted is admitted again (a retry), not counted twice.
    expect((await tenant.admitJob({ job_id: admitted[0]!, key: "k", units: 3 }, 3)).allowed).toBe(true);
    await tenant.releaseJob(admitted[0]!);
    expect((await tenant.admitJob({ job_id: "job_new", key: "k", units: 3 }, 3)).allowed).toBe(true);
  });
});
