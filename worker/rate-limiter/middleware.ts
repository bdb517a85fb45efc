import { createMiddleware } from "hono/factory";
import { planOf } from "../../shared/tiers.ts";
import type { Bindings } from "../bindings.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

/**
 * One permit from the key's limit (exact sliding hour, kept by its Durable Object; permits are
 * reserved a few at a time, see permits.ts). Every authenticated answer, errors
 * included, carries RateLimit-Limit / -Remaining / -Reset.
 */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const { hash, record } = c.get("apiKey");
  const decision = await c.get("services").permits.acquire(hash, planOf(record).requests_per_hour, () => rateLimiterOf(c.env, hash), (work) =>
    c.executionCtx.waitUntil(work),
  );
  c.set("rateLimit", decision);
  // Set before the answer exists, so every answer from here on (errors too) carries them.
  for (const [name, value] of Object.entries(rateLimitHeaders(decision))) c.header(name, value);
  if (!decision.allowed) {
    throw new ApiError("RATE_LIMIT_EXCEEDED", `This key's limit of ${decision.limit} requests per hour is used up.`, {
      retryAfter: decision.resetSeconds,
      limit: "requests_per_hour",
    });
  }
  await next();
});

export function rateLimitHeaders(decision: { limit: number; remaining: number; resetSeconds: number }): Record<string, string> {
  return {
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(decision.resetSeconds),
  };
}

/** The Durable Object that keeps the limit and usage of the key whose hash is `keyHash`. */
export function rateLimiterOf(env: Bindings, keyHash: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(keyHash));
}
