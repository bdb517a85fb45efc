/**
 * The Hono app: middleware in contract order, every route file registered from one list, one
 * error handler that turns everything into the contract's error shape. /openapi.json describes
 * exactly what is registered.
 *
 * Order: request id -> log line -> configuration (/v1/*) -> per route: body size (413) -> media
 * type (415) -> auth (401/403) -> rate limit (429) -> body read strictly + zod (400) -> handler.
 */
import { ApiError } from "./errors.ts";
import { discardUnreadBody } from "./middleware/body.ts";
import { withConfig } from "./middleware/config.ts";
import { requestId } from "./middleware/request-id.ts";
import { requestLog } from "./middleware/request-log.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import * as analyze from "./routes/analyze.ts";
import * as analyzeAsync from "./routes/analyze-async.ts";
import * as analyzeBatch from "./routes/analyze-batch.ts";
import * as analyzeSync from "./routes/analyze-sync.ts";
import { createApi, type Api, type RegisterRoute } from "./routes/contract.ts";
import * as health from "./routes/health.ts";
import * as index from "./routes/index.ts";
import * as jobResults from "./routes/job-results.ts";
import * as createJob from "./routes/jobs-create.ts";
import * as jobStatus from "./routes/job-status.ts";
import * as openapi from "./routes/openapi.ts";
import * as usage from "./routes/usage.ts";
import { createServiceRegistry } from "./services.ts";

/** Every route of the API, in the order the OpenAPI document lists them. */
const ROUTES: { register: RegisterRoute }[] = [index, health, analyzeSync, analyzeBatch, analyzeAsync, analyze, createJob, jobStatus, jobResults, usage, openapi];

/** The methods some route answers at `path` (HEAD with GET, as Hono serves it): a 405's Allow. */
function allowedMethods(app: Api): (path: string) => string[] {
  const routes = app.routes
    .filter((r) => r.method !== "ALL")
    .map((r) => ({ method: r.method, pattern: new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/]+").replace(/\*/g, ".*")}$`) }));
  return (path) => {
    const methods = new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}

/** A path as an error may quote it: printable ASCII only, at most 100 characters. */
function pathExcerpt(path: string): string {
  const clean = path.replace(/[^\x21-\x7e]/g, "?");
  return clean.length > 100 ? `${clean.slice(0, 100)}...` : clean;
}

export function createApp(): Api {
  const app = createApi();
  const servicesFor = createServiceRegistry();

  app.use("*", requestId, requestLog, securityHeaders);
  // Before the routes: Hono runs matching handlers in the order they were added.
  app.use("/v1/*", withConfig(servicesFor));
  for (const route of ROUTES) route.register(app, { servicesFor });

  const allowed = allowedMethods(app);
  app.notFound((c) => {
    discardUnreadBody(c.req.raw);
    const path = new URL(c.req.url).pathname;
    const methods = allowed(path);
    if (methods.length > 0) {
      const err = new ApiError("METHOD_NOT_ALLOWED", `${pathExcerpt(path)} accepts ${methods.join(", ")}.`);
      c.header("Allow", methods.join(", "));
      return c.json(err.toBody(c.get("requestId")), err.status);
    }
    const err = new ApiError("NOT_FOUND", `No route for ${c.req.method} ${pathExcerpt(path)}`);
    return c.json(err.toBody(c.get("requestId")), err.status);
  });

  app.onError((err, c) => {
    discardUnreadBody(c.req.raw);
    const apiError =
      err instanceof ApiError ? err : new ApiError("INTERNAL_ERROR", "An internal error occurred. Quote the request id when reporting it.");
    if (!(err instanceof ApiError)) {
      // Never the message or stack of an unknown error: they may carry submitted text.
      console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), error: err.name }));
    }
    const log = c.get("log");
    if (log) log.error = apiError.code;
    if (apiError.details.retryAfter !== undefined) c.header("Retry-After", String(apiError.details.retryAfter));
    return c.json(apiError.toBody(c.get("requestId") ?? "unknown"), apiError.status);
  });
  return app;
}
