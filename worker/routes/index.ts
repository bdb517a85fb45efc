/** GET /: what this service is and where its documentation lives (no auth, no I/O). */
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { API_VERSION } from "../version.ts";

export function registerIndex(app: Hono<AppEnv>): void {
  app.get("/", (c) =>
    c.json({ name: "AuraStream", version: API_VERSION, docs: "/docs", openapi: "/openapi.json", health: "/health" }),
  );
}
