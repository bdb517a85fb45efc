/** GET /v1/usage: this key's counters, its plan's limits and what counts against them now. */
import type { z } from "zod";
import { UsageResponse } from "../../shared/schemas.ts";
import { authenticate } from "../middleware/auth.ts";
import { WINDOW_MS } from "../rate-limiter/durable-object.ts";
import { rateLimit, rateLimiterOf } from "../rate-limiter/middleware.ts";
import { jobSpendOf } from "../rate-limiter/spend.ts";
import { planOf } from "../../shared/tiers.ts";
import { API_KEY_SECURITY, AUTHENTICATED_ERRORS, createRoute, errorResponses, jsonContent, type Api } from "./contract.ts";

/** Comprehend's list price for sentiment and language detection, per 100-character unit. */
export const USD_PER_UNIT = 0.0001;

export const usageRoute = createRoute({
  method: "get",
  path: "/v1/usage",
  summary: "This key's usage and remaining rate limit",
  security: API_KEY_SECURITY,
  middleware: [authenticate, rateLimit],
  responses: {
    200: { description: "Counters since the key was made", content: jsonContent(UsageResponse) },
    ...errorResponses(AUTHENTICATED_ERRORS),
  },
});

export function register(app: Api): void {
  app.openapi(usageRoute, async (c) => {
    const { hash, record } = c.get("apiKey");
    const limiter = rateLimiterOf(c.env, hash);
    // This isolate's not-yet-sent counts first, so the answer includes the caller's own requests;
    // and the key's ended jobs settled, so their units are counted as billed.
    const jobSpend = jobSpendOf(c);
    await Promise.all([c.get("services").usage.flush(hash, (delta) => limiter.recordUsage(delta)), jobSpend.settleKeyJobs()]);
    const [usage, spend, activeJobs] = await Promise.all([limiter.usage(), limiter.spendStatus(), jobSpend.activeJobs()]);
    const decision = c.get("rateLimit");
    const body: z.infer<typeof UsageResponse> = {
      key_id: record.key_id,
      tenant_id: record.tenant_id,
      tier: record.tier,
      rate_limit: { limit: decision.limit, remaining: decision.remaining, window_seconds: WINDOW_MS / 1000 },
      limits: planOf(record),
      spend: {
        units_last_hour: spend.units_last_hour,
        units_last_day: spend.units_last_day,
        units_reserved_for_jobs: spend.units_reserved_for_jobs,
        active_jobs: activeJobs,
      },
      usage,
      estimated_cost_usd: Math.round(usage.comprehend_units * USD_PER_UNIT * 1e6) / 1e6,
    };
    return c.json(body, 200);
  });
}
