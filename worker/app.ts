/**
 * The Hono app: middleware in contract order, one route module per path, one error handler
 * that turns everything into the contract's error shape.
 */
import { Hono } from "hono";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";
import { requestId } from "./middleware/request-id.ts";
import { registerHealth } from "./routes/health.ts";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestId);

  registerHealth(app);

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
    if (apiError.details.retryAfter !== undefined) c.header("Retry-After", String(apiError.details.retryAfter));
    return c.json(apiError.toBody(c.get("requestId") ?? "unknown"), apiError.status);
  });
  return app;
}
