/**
 * GET /health (no auth): each dependency probed with a short timeout.
 * healthy = all up; degraded = Comprehend down (cached answers still work); unhealthy = the
 * configuration, KV or the rate limiter down, so no authenticated request could succeed.
 * Anything but healthy answers 503, so a monitor alerts on either.
 */
import type { z } from "zod";
import { HealthResponse, type ComponentHealth } from "../../shared/schemas.ts";
import { Deadline } from "../aws/deadline.ts";
import { AwsCallError } from "../aws/json-protocol.ts";
import { loadConfig } from "../config.ts";
import { API_VERSION } from "../version.ts";
import { createRoute, jsonContent, type Api, type RouteDeps } from "./contract.ts";

const PROBE_TIMEOUT_MS = 1_000;

type Component = z.infer<typeof ComponentHealth>;

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  summary: "Health of the Worker and its dependencies",
  security: [],
  responses: {
    200: { description: "healthy", content: jsonContent(HealthResponse) },
    503: { description: "degraded or unhealthy (the same body)", content: jsonContent(HealthResponse) },
  },
});

async function probe(check: () => Promise<unknown>): Promise<Component> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timed out")), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { status: "up", latency_ms: Date.now() - started };
  } catch (err) {
    const reason = err instanceof AwsCallError ? err.type : err instanceof Error ? err.message : "failed";
    return { status: "down", latency_ms: Date.now() - started, error: reason };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export function register(app: Api, { servicesFor }: RouteDeps): void {
  app.openapi(healthRoute, async (c) => {
    const config = loadConfig(c.env);
    const services = config.ok ? servicesFor(config.config, c.env) : undefined;
    const [kv, rateLimiter, comprehend] = await Promise.all([
      probe(() => c.env.KV.get("health:probe")),
      probe(() => c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName("health:probe")).ping()),
      services
        ? probe(() => services.comprehend.probe(new Deadline(PROBE_TIMEOUT_MS)))
        : Promise.resolve<Component>({ status: "down", latency_ms: 0, error: "not configured" }),
    ]);
    const configStatus: Component = config.ok
      ? { status: "up", latency_ms: 0 }
      : { status: "down", latency_ms: 0, error: `${config.variable}: ${config.message}` };
    const components = { config: configStatus, kv, rate_limiter: rateLimiter, comprehend };
    const status = [configStatus, kv, rateLimiter].some((s) => s.status === "down")
      ? "unhealthy"
      : comprehend.status === "down"
        ? "degraded"
        : "healthy";
    const body: z.infer<typeof HealthResponse> = { status, components, version: API_VERSION };
    return c.json(body, status === "healthy" ? 200 : 503);
  });
}
