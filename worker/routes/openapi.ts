/**
 * GET /openapi.json: OpenAPI 3.1 generated from what is registered on the app (each route's
 * createRoute, from the shared zod schemas), so the document cannot drift from what the routes
 * validate. GET /docs: a page that renders it.
 */
import { z } from "zod";
import { ErrorResponse } from "../../shared/schemas.ts";
import { pagePolicy } from "../middleware/security-headers.ts";
import { API_VERSION } from "../version.ts";
import { SECURITY_SCHEMES, type Api } from "./contract.ts";

const DOCS_STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f5f5f5;padding:1rem;overflow:auto}h2{margin-top:2rem}`;
const DOCS_SCRIPT = `
fetch("/openapi.json").then(r => r.json()).then(doc => {
  const out = document.getElementById("routes"); out.textContent = "";
  for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) {
    const h = document.createElement("h2"); h.textContent = method.toUpperCase() + " " + path; out.append(h);
    const p = document.createElement("p"); p.textContent = op.summary + (op.description ? " — " + op.description : ""); out.append(p);
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify({ requestBody: op.requestBody?.content, responses: op.responses }, null, 2); out.append(pre);
  }
});
`;
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AuraStream API</title>
<style>${DOCS_STYLE}</style></head>
<body><h1>AuraStream API</h1><p>The machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p>
<div id="routes">Loading…</div>
<script>${DOCS_SCRIPT}</script></body></html>`;
const DOCS_POLICY = pagePolicy({ script: DOCS_SCRIPT, style: DOCS_STYLE });

export function register(app: Api): void {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  // Built on first use, when every route is registered; schema conversion has no place in a cold start.
  let document: ReturnType<Api["getOpenAPI31Document"]> | undefined;
  app.get("/openapi.json", (c) => {
    if (!document) {
      const errorSchema = z.toJSONSchema(ErrorResponse, { target: "draft-2020-12" });
      delete errorSchema.$schema;
      app.openAPIRegistry.registerComponent("schemas", "Error", errorSchema as never);
      document = app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: { title: "AuraStream", version: API_VERSION, description: "Sentiment analysis for customer feedback: real-time at the edge, batch on AWS." },
      });
    }
    return c.json(document);
  });
  app.get("/docs", (c) => c.html(DOCS_PAGE, 200, { "content-security-policy": DOCS_POLICY }));
}
