/**
 * GET /health (no auth): each dependency is probed with a short timeout.
 * healthy = all up; degraded = a non-critical part down; unhealthy (503) = KV, the rate limiter
 * or the configuration is down, so no authenticated request could succeed.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { loadConfig } from "../config.ts";
import { API_VERSION } from "../version.ts";

const PROBE_TIMEOUT_MS = 1_000;

type ComponentStatus = { status: "up" | "down"; latency_ms: number; error?: string };

async function probe(check: () => Promise<unknown>): Promise<ComponentStatus> {
  const started = Date.now();
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), PROBE_TIMEOUT_MS)),
    ]);
    return { status: "up", latency_ms: Date.now() - started };
  } catch (err) {
    return { status: "down", latency_ms: Date.now() - started, error: err instanceof Error ? err.message : "failed" };
  }
}

export function registerHealth(app: Hono<AppEnv>): void {
  app.get("/health", async (c) => {
    const config = loadConfig(c.env);
    const [kv, rateLimiter] = await Promise.all([
      probe(() => c.env.KV.get("health:probe")),
      probe(() => c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName("health:probe")).ping()),
    ]);
    const components = {
      config: config.ok
        ? ({ status: "up", latency_ms: 0 } as ComponentStatus)
        : ({ status: "down", latency_ms: 0, error: `${config.variable}: ${config.message}` } as ComponentStatus),
      kv,
      rate_limiter: rateLimiter,
    };
    const critical = [components.config, kv, rateLimiter];
    const status = critical.some((s) => s.status === "down") ? "unhealthy" : "healthy";
    return c.json({ status, components, version: API_VERSION }, status === "unhealthy" ? 503 : 200);
  });
}
