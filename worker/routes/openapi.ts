/**
 * GET /openapi.json: OpenAPI 3.1 built from the route modules' specs and the shared zod
 * schemas (z.toJSONSchema), so the document cannot drift from what the routes validate.
 * GET /docs: a page that renders it.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { ErrorResponse } from "../../shared/schemas.ts";
import type { AppEnv } from "../context.ts";
import { ERROR_STATUS, type ErrorCode } from "../errors.ts";
import { API_VERSION } from "../version.ts";
import type { RouteSpec } from "./route.ts";

export function openApiDocument(routes: RouteSpec[]) {
  const schema = (s: z.ZodType, io: "input" | "output") => z.toJSONSchema(s, { target: "draft-2020-12", io, unrepresentable: "any" });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {
      [route.response.status]: {
        description: "Success",
        content: { [route.response.contentType ?? "application/json"]: { schema: schema(route.response.schema, "output") } },
      },
    };
    const byStatus = new Map<number, string[]>();
    for (const code of route.errors) {
      const status = ERROR_STATUS[code as ErrorCode];
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of byStatus) {
      responses[status] = { description: codes.join(" or "), content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
    }
    paths[route.path] = {
      ...paths[route.path],
      [route.method]: {
        summary: route.summary,
        ...(route.description ? { description: route.description } : {}),
        ...(route.authenticated ? { security: [{ bearer: [] }, { apiKey: [] }] } : { security: [] }),
        ...(route.request
          ? { requestBody: { required: true, content: { "application/json": { schema: schema(route.request, "input") } } } }
          : {}),
        responses,
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "AuraStream",
      version: API_VERSION,
      description: "Sentiment analysis for customer feedback: real-time at the edge, batch on AWS.",
    },
    paths,
    components: {
      schemas: { Error: schema(ErrorResponse, "output") },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      },
    },
  };
}

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AuraStream API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f5f5f5;padding:1rem;overflow:auto}h2{margin-top:2rem}</style></head>
<body><h1>AuraStream API</h1><p>The machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p>
<div id="routes">Loading…</div>
<script>
fetch("/openapi.json").then(r => r.json()).then(doc => {
  const out = document.getElementById("routes"); out.textContent = "";
  for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) {
    const h = document.createElement("h2"); h.textContent = method.toUpperCase() + " " + path; out.append(h);
    const p = document.createElement("p"); p.textContent = op.summary + (op.description ? " — " + op.description : ""); out.append(p);
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify({ requestBody: op.requestBody?.content, responses: op.responses }, null, 2); out.append(pre);
  }
});
</script></body></html>`;

export function registerOpenApi(app: Hono<AppEnv>, routes: RouteSpec[]): void {
  // Built on first use, not at start: schema conversion has no place in a cold start.
  let document: ReturnType<typeof openApiDocument> | undefined;
  app.get("/openapi.json", (c) => c.json((document ??= openApiDocument(routes))));
  app.get("/docs", (c) => c.html(DOCS_PAGE));
}
