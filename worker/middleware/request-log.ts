import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../context.ts";

/**
 * One JSON line per request: ids, route, status, latency and what the analysis cost.
 * Never the text, never the key (only its public key_id).
 */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  c.set("log", {});
  await next();
  const fields = c.get("log");
  console.log(
    JSON.stringify({
      level: c.res.status >= 500 ? "error" : "info",
      request_id: c.get("requestId"),
      key_id: c.get("apiKey")?.record.key_id,
      method: c.req.method,
      route: routePath(c),
      status: c.res.status,
      latency_ms: Date.now() - started,
      ...fields,
    }),
  );
});
