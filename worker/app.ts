/**
 * The Hono app: middleware in contract order, one module per route, one error handler that
 * turns everything into the contract's error shape.
 *
 * Order: request id -> log line -> configuration -> per route: body size (413) -> media type
 * (415) -> auth (401/403) -> rate limit (429) -> JSON + zod (400) -> handler.
 */
import { Hono } from "hono";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";
import { withConfig } from "./middleware/config.ts";
import { requestId } from "./middleware/request-id.ts";
import { requestLog } from "./middleware/request-log.ts";
import { analyzeRoute, registerAnalyze } from "./routes/analyze.ts";
import { analyzeAsyncRoute, registerAnalyzeAsync } from "./routes/analyze-async.ts";
import { analyzeBatchRoute, registerAnalyzeBatch } from "./routes/analyze-batch.ts";
import { registerJobs, resultsRoute, statusRoute } from "./routes/jobs.ts";
import { analyzeSyncRoute, registerAnalyzeSync } from "./routes/analyze-sync.ts";
import { healthRoute, registerHealth } from "./routes/health.ts";
import { registerIndex } from "./routes/index.ts";
import { registerOpenApi } from "./routes/openapi.ts";
import { registerUsage, usageRoute } from "./routes/usage.ts";
import { createServiceRegistry } from "./services.ts";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const servicesFor = createServiceRegistry();

  app.use("*", requestId, requestLog);
  registerIndex(app);
  registerHealth(app, servicesFor);
  registerOpenApi(app, [analyzeSyncRoute, analyzeBatchRoute, analyzeAsyncRoute, analyzeRoute, statusRoute, resultsRoute, usageRoute, healthRoute]);

  app.use("/v1/*", withConfig(servicesFor));
  registerAnalyzeSync(app);
  registerAnalyzeBatch(app);
  registerAnalyzeAsync(app);
  registerAnalyze(app);
  registerJobs(app);
  registerUsage(app);

  app.notFound((c) => {
    const err = new ApiError("NOT_FOUND", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`);
    return c.json(err.toBody(c.get("requestId")), err.status);
  });

  app.onError((err, c) => {
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
