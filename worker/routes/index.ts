/** GET /: what this service is and where its documentation lives (no auth, no I/O). */
import { z } from "zod";
import { API_VERSION } from "../version.ts";
import { createRoute, jsonContent, type Api } from "./contract.ts";

const ServiceIndex = z.object({ name: z.string(), version: z.string(), docs: z.string(), openapi: z.string(), health: z.string(), ready: z.string() });

export const indexRoute = createRoute({
  method: "get",
  path: "/",
  summary: "The service and where its documentation lives",
  security: [],
  responses: { 200: { description: "The service index", content: jsonContent(ServiceIndex) } },
});

export function register(app: Api): void {
  app.openapi(indexRoute, (c) => c.json({ name: "AuraStream", version: API_VERSION, docs: "/docs", openapi: "/openapi.json", health: "/health", ready: "/health/ready" }, 200));
}
