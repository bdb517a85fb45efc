/** GET /v1/usage: this key's counters and what they cost in Comprehend units. */
import type { Hono } from "hono";
import type { z } from "zod";
import { UsageResponse } from "../../shared/schemas.ts";
import type { AppEnv } from "../context.ts";
import { WINDOW_MS } from "../durable-objects/rate-limiter.ts";
import { authenticate } from "../middleware/auth.ts";
import { rateLimit, rateLimiterOf } from "../middleware/rate-limit.ts";
import type { RouteSpec } from "./route.ts";

/** Comprehend's list price for sentiment and language detection, per 100-character unit. */
export const USD_PER_UNIT = 0.0001;

export const usageRoute: RouteSpec = {
  method: "get",
  path: "/v1/usage",
  summary: "This key's usage and remaining rate limit",
  authenticated: true,
  response: { status: 200, schema: UsageResponse },
  errors: ["UNAUTHORIZED", "FORBIDDEN", "RATE_LIMIT_EXCEEDED", "CONFIG_ERROR"],
};

export function registerUsage(app: Hono<AppEnv>): void {
  app.get(usageRoute.path, authenticate, rateLimit, async (c) => {
    const { hash, record } = c.get("apiKey");
    const limiter = rateLimiterOf(c.env, hash);
    // This isolate's not-yet-sent counts first, so the answer includes the caller's own requests.
    await c.get("services").usage.flush(hash, (delta) => limiter.recordUsage(delta));
    const usage = await limiter.usage();
    const decision = c.get("rateLimit");
    const body: z.infer<typeof UsageResponse> = {
      key_id: record.key_id,
      tenant_id: record.tenant_id,
      tier: record.tier,
      rate_limit: { limit: decision.limit, remaining: decision.remaining, window_seconds: WINDOW_MS / 1000 },
      usage,
      estimated_cost_usd: Math.round(usage.comprehend_units * USD_PER_UNIT * 1e6) / 1e6,
    };
    return c.json(body, 200);
  });
}
