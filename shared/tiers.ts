/**
 * Plans and their limits. Requests and Comprehend units are counted per API key over rolling
 * windows, exactly (the key's rate-limiter object); concurrent jobs per tenant, so a tenant's
 * second key does not double its share of the batch path.
 *
 * Units are what Comprehend bills (100 characters a unit, at least 3 a document, $0.0001 each):
 * the real cost of a request, whichever route it takes. A job is charged its estimate at
 * submission (shared/job-units.ts) and settled to what it really billed when it ends.
 */
/** A plan's limits by name (`concurrent_jobs`: the tenant's jobs not yet ended: AWAITING_UPLOAD, PENDING, PROCESSING). */
export const PLAN_LIMIT_NAMES = ["requests_per_hour", "units_per_hour", "units_per_day", "concurrent_jobs"] as const;
export type PlanLimitName = (typeof PLAN_LIMIT_NAMES)[number];
export type PlanLimits = Record<PlanLimitName, number>;

export const PLANS = {
  // At most $3 an hour and $10 a day of Comprehend.
  free: { requests_per_hour: 1_000, units_per_hour: 30_000, units_per_day: 100_000, concurrent_jobs: 2 },
  // At most $100 an hour and $500 a day.
  basic: { requests_per_hour: 10_000, units_per_hour: 1_000_000, units_per_day: 5_000_000, concurrent_jobs: 5 },
  // At most $1,000 an hour and $10,000 a day: a million-row export fits in an hour.
  premium: { requests_per_hour: 100_000, units_per_hour: 10_000_000, units_per_day: 100_000_000, concurrent_jobs: 20 },
} as const satisfies Record<string, PlanLimits>;

export type Tier = keyof typeof PLANS;
export const TIERS = Object.keys(PLANS) as Tier[];

/** The limits that bound spend (the rest of what an over-limit error's `limit` can name). */
export type SpendLimit = Exclude<PlanLimitName, "requests_per_hour">;

/** A key's limits: its tier's, with the operator's overrides for that key (`npm run keys -- create --limit ...`). */
export function planOf(key: { tier: Tier; limits?: Partial<PlanLimits> }): PlanLimits {
  return { ...PLANS[key.tier], ...key.limits };
}
