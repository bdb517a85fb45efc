/**
 * POST /v1/analyze: one entry for both paths. `mode`: SYNC (a text, answered now), ASYNC (a
 * job), AUTO (default: a job for items, files or a text over 5,000 characters; else now).
 */
import { z } from "zod";
import { characterCount } from "../../shared/comprehend.ts";
import { AnalyzeAsyncRequest, AnalyzeAsyncResponse, AnalyzeSyncRequest, AnalyzeSyncResponse, AsyncQuery, MAX_SYNC_CHARACTERS } from "../../shared/schemas.ts";
import { answerText } from "../analysis/answer.ts";
import { jobRequestOfJson, submitJob } from "../jobs/submission.ts";
import { bodyRouteChecks } from "../middleware/body.ts";
import { validationError } from "../middleware/validate.ts";
import { API_KEY_SECURITY, AUTHENTICATED_ERRORS, BODY_ERRORS, SPEND_ERRORS, createRoute, errorResponses, jsonContent, type Api } from "./contract.ts";

const Mode = z.enum(["SYNC", "ASYNC", "AUTO"]).default("AUTO");

/** `mode` is checked here; the rest of the body against the schema of the path the mode picks. */
const AnalyzeRequest = z
  .looseObject({ mode: Mode })
  .describe("The body of /v1/analyze/sync or of /v1/analyze/async, plus `mode`");

export const analyzeRoute = createRoute({
  method: "post",
  path: "/v1/analyze",
  summary: "Analyse now or as a job: mode SYNC | ASYNC | AUTO",
  description:
    "The body of /v1/analyze/sync or /v1/analyze/async plus `mode`. AUTO (default) starts a job for items, CSV / JSON-lines bodies or a text over 5,000 characters, and answers the rest at once (200 as sync, 202 as async).",
  security: API_KEY_SECURITY,
  middleware: bodyRouteChecks((c) => c.get("config").ASYNC_MAX_BYTES, ["json", "csv", "jsonl"]),
  request: {
    query: AsyncQuery,
    body: { required: false, content: { ...jsonContent(AnalyzeRequest), "text/csv": { schema: z.string() }, "application/x-ndjson": { schema: z.string() } } },
  },
  responses: {
    200: { description: "Answered now (as /v1/analyze/sync)", content: jsonContent(AnalyzeSyncResponse) },
    202: { description: "Started as a job (as /v1/analyze/async)", content: jsonContent(AnalyzeAsyncResponse) },
    ...errorResponses([...BODY_ERRORS, ...AUTHENTICATED_ERRORS, ...SPEND_ERRORS, "IDEMPOTENCY_CONFLICT"]),
  },
});

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error, body);
  return parsed.data;
}

export function register(app: Api): void {
  app.openapi(analyzeRoute, async (c) => {
    const format = c.get("bodyFormat");
    if (format !== "json") {
      const { source_id, ...options } = c.req.valid("query");
      return c.json(await submitJob(c, { format, payload: c.get("payload"), options, sourceId: source_id }), 202);
    }
    const { mode, ...rest } = c.req.valid("json") as z.infer<typeof AnalyzeRequest>;
    const long = typeof rest.text === "string" && characterCount(rest.text.trim()) > MAX_SYNC_CHARACTERS;
    const sync = mode === "SYNC" || (mode === "AUTO" && rest.items === undefined && !long);
    if (sync) return c.json(await answerText(c, parse(AnalyzeSyncRequest, rest)), 200);
    return c.json(await submitJob(c, jobRequestOfJson(parse(AnalyzeAsyncRequest, rest))), 202);
  });
}
