/**
 * GET /health: liveness. The Worker answers, nothing else is asked, so a load balancer never
 * pulls an edge that still serves cached and fallback answers because a dependency is slow.
 *
 * GET /health/ready: readiness. Each dependency probed with a short timeout, the answer shared
 * for READY_CACHE_MS per isolate (concurrent checks wait on one probe), so health checks cannot
 * add load. A probe that does not answer in time is `slow`, not down: under load it still
 * answers. healthy = all up; degraded (200) = Comprehend down or something slow: cached and
 * fallback answers still work; unhealthy (503) = configuration, KV or the rate limiter down,
 * so no authenticated request could succeed.
 */
import type { z } from "zod";
import { settlesWithin } from "../../shared/deferred.ts";
import { HealthResponse, LivenessResponse, type ComponentHealth } from "../../shared/schemas.ts";
import type { Bindings } from "../bindings.ts";
import { Deadline } from "../aws/deadline.ts";
import { AwsCallError } from "../aws/json-protocol.ts";
import { loadConfig } from "../config.ts";
import { API_VERSION } from "../version.ts";
import { createRoute, jsonContent, type Api, type RouteDeps } from "./contract.ts";

const PROBE_TIMEOUT_MS = 1_500;
const READY_CACHE_MS = 5_000;

type Component = z.infer<typeof ComponentHealth>;
type Readiness = z.infer<typeof HealthResponse>;

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness: the Worker answers (no dependency is probed)",
  security: [],
  responses: { 200: { description: "live", content: jsonContent(LivenessResponse) } },
});

export const readinessRoute = createRoute({
  method: "get",
  path: "/health/ready",
  summary: "Readiness: the Worker's dependencies, probed at most every few seconds",
  security: [],
  responses: {
    200: { description: "healthy or degraded (cached and fallback answers still work)", content: jsonContent(HealthResponse) },
    503: { description: "unhealthy: no authenticated request could succeed (the same body)", content: jsonContent(HealthResponse) },
  },
});

const TIMED_OUT = Symbol("timed out");

async function probe(check: () => Promise<unknown>): Promise<Component> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const outcome = await Promise.race([
      check(),
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), PROBE_TIMEOUT_MS);
      }),
    ]);
    if (outcome === TIMED_OUT) return { status: "slow", latency_ms: Date.now() - started, error: `no answer in ${PROBE_TIMEOUT_MS} ms` };
    return { status: "up", latency_ms: Date.now() - started };
  } catch (err) {
    const reason = err instanceof AwsCallError ? err.type : err instanceof Error ? err.message : "failed";
    return { status: "down", latency_ms: Date.now() - started, error: reason };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export function register(app: Api, { servicesFor }: RouteDeps): void {
  async function check(env: Bindings): Promise<Readiness> {
    const config = loadConfig(env);
    const services = config.ok ? servicesFor(config.config, env) : undefined;
    const [kv, rateLimiter, comprehend] = await Promise.all([
      probe(() => env.KV.get("health:probe")),
      probe(() => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("health:probe")).ping()),
      !services
        ? Promise.resolve<Component>({ status: "down", latency_ms: 0, error: "not configured" })
        : services.comprehend.refusing
          ? Promise.resolve<Component>({ status: "down", latency_ms: 0, error: "recent calls failed (circuit open)" })
          : probe(() => services.comprehend.probe(new Deadline(PROBE_TIMEOUT_MS))),
    ]);
    const configStatus: Component = config.ok
      ? { status: "up", latency_ms: 0 }
      : { status: "down", latency_ms: 0, error: `${config.variable}: ${config.message}` };
    const components = { config: configStatus, kv, rate_limiter: rateLimiter, comprehend };
    const status = [configStatus, kv, rateLimiter].some((s) => s.status === "down")
      ? "unhealthy"
      : Object.values(components).some((s) => s.status !== "up")
        ? "degraded"
        : "healthy";
    return { status, components, checked_at: new Date().toISOString(), version: API_VERSION };
  }

  // One shared answer per environment (an isolate has one) for READY_CACHE_MS.
  const answers = new WeakMap<Bindings, { at: number; answer: Promise<Readiness> }>();
  function readiness(env: Bindings): Promise<Readiness> {
    const cached = answers.get(env);
    if (cached && Date.now() - cached.at < READY_CACHE_MS) return cached.answer;
    return checkAfresh(env);
  }
  function checkAfresh(env: Bindings): Promise<Readiness> {
    const answer = check(env);
    answers.set(env, { at: Date.now(), answer });
    return answer;
  }

  app.openapi(healthRoute, (c) => c.json({ status: "live" as const, version: API_VERSION }, 200));
  app.openapi(readinessRoute, async (c) => {
    // The shared check may be another request's: waited for with this request's own timer, and
    // checked afresh if it never answers (its request was cancelled).
    const shared = readiness(c.env);
    const body = (await settlesWithin(shared, PROBE_TIMEOUT_MS + 500)) ? await shared : await checkAfresh(c.env);
    return c.json(body, body.status === "unhealthy" ? 503 : 200);
  });
}
