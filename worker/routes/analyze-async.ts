/**
 * POST /v1/analyze/async: a document, items, a CSV or JSON lines, answered 202 with a job id at
 * once; the AWS pipeline does the work. Options come in the JSON body, or in the query string
 * for CSV and JSON-lines bodies. `Idempotency-Key` returns the same job for the same body.
 */
import { z } from "zod";
import { AnalyzeAsyncRequest, AnalyzeAsyncResponse, AsyncQuery } from "../../shared/schemas.ts";
import { jobRequestOfJson, submitJob } from "../jobs/submission.ts";
import { bodyRouteChecks } from "../middleware/body.ts";
import { API_KEY_SECURITY, AUTHENTICATED_ERRORS, BODY_ERRORS, SPEND_ERRORS, createRoute, errorResponses, jsonContent, type Api } from "./contract.ts";

const text = (description: string) => ({ schema: z.string().describe(description) });

export const analyzeAsyncRoute = createRoute({
  method: "post",
  path: "/v1/analyze/async",
  summary: "Start a batch job",
  description:
    "JSON {text} or {items}, or a text/csv body (a `text` column, optional `id`) or application/x-ndjson; options in the query string for those. 1 MiB by default (ASYNC_MAX_BYTES). Answers 202 with a job id; poll status_url.",
  security: API_KEY_SECURITY,
  middleware: bodyRouteChecks((c) => c.get("config").ASYNC_MAX_BYTES, ["json", "csv", "jsonl"]),
  request: {
    query: AsyncQuery,
    // One of the three media types is required; "required" here would make JSON the only one.
    body: {
      required: false,
      content: {
        ...jsonContent(AnalyzeAsyncRequest),
        "text/csv": text("RFC 4180 CSV with a header row: a `text` column, optional `id`"),
        "application/x-ndjson": text('One JSON object per line: {"text", "id"?}'),
      },
    },
  },
  responses: {
    202: { description: "The job was accepted", content: jsonContent(AnalyzeAsyncResponse) },
    ...errorResponses([...BODY_ERRORS, ...AUTHENTICATED_ERRORS, ...SPEND_ERRORS, "IDEMPOTENCY_CONFLICT"]),
  },
});

export function register(app: Api): void {
  app.openapi(analyzeAsyncRoute, async (c) => {
    const format = c.get("bodyFormat");
    if (format === "json") return c.json(await submitJob(c, jobRequestOfJson(c.req.valid("json") as AnalyzeAsyncRequest)), 202);
    const { source_id, ...options } = c.req.valid("query");
    return c.json(await submitJob(c, { format, payload: c.get("payload"), options, sourceId: source_id }), 202);
  });
}
