/**
 * GET /v1/jobs/{job_id}/results: a completed job's per-item results, JSON lines or (Accept:
 * text/csv) CSV. JSON lines over RESULTS_REDIRECT_BYTES are a 302 to a presigned S3 GET (valid
 * 15 minutes), so a big file does not stream through the Worker.
 */
import { z } from "zod";
import { JobIdParams } from "../../shared/schemas.ts";
import { Deadline } from "../aws/deadline.ts";
import { ApiError } from "../errors.ts";
import { ownJob } from "../jobs/own-job.ts";
import { authenticate } from "../middleware/auth.ts";
import { rateLimit } from "../rate-limiter/middleware.ts";
import { API_KEY_SECURITY, AUTHENTICATED_ERRORS, createRoute, errorResponses, type Api } from "./contract.ts";

const RESULTS_BUDGET_MS = 10_000;
const RESULTS_URL_SECONDS = 900;

export const jobResultsRoute = createRoute({
  method: "get",
  path: "/v1/jobs/{job_id}/results",
  summary: "A completed job's per-item results: JSON lines, or CSV with Accept: text/csv",
  security: API_KEY_SECURITY,
  middleware: [authenticate, rateLimit],
  request: { params: JobIdParams },
  responses: {
    200: {
      description: "One JSON object per item: id, sentiment, score, scores, confidence, language_code, pii_detected, pii_types, or error",
      content: { "application/x-ndjson": { schema: z.string() }, "text/csv": { schema: z.string() } },
    },
    302: { description: "Results (either format) over RESULTS_REDIRECT_BYTES: Location is a presigned S3 GET, valid 15 minutes" },
    ...errorResponses([...AUTHENTICATED_ERRORS, "NOT_FOUND", "JOB_NOT_READY", "SERVICE_UNAVAILABLE"]),
  },
});

export function register(app: Api): void {
  app.openapi(jobResultsRoute, async (c) => {
    const job = await ownJob(c, c.req.valid("param").job_id);
    // A job failed for its share of failed rows still has every row's result (and reason).
    const hasResults = job.status === "COMPLETED" || (job.status === "FAILED" && job.error?.code === "TOO_MANY_FAILED_ROWS");
    if (!hasResults) {
      const why = job.status === "FAILED" ? "The job failed; it has no results (see its status)." : `The job is ${job.status}; results come when it is COMPLETED.`;
      throw new ApiError("JOB_NOT_READY", why, { retryAfter: job.status === "FAILED" ? undefined : 5 });
    }
    const format = (c.req.header("accept") ?? "").includes("text/csv") ? "csv" : "jsonl";
    const object = await c.get("services").jobs.results(job.job_id, format, new Deadline(RESULTS_BUDGET_MS));
    if (!object?.body) throw new ApiError("SERVICE_UNAVAILABLE", "The results could not be read; try again shortly.", { retryAfter: 5 });
    const size = Number(object.headers.get("content-length") ?? "0");
    if (size > c.get("config").RESULTS_REDIRECT_BYTES) {
      await object.body.cancel();
      return c.redirect(await c.get("services").jobs.resultsUrl(job.job_id, format, RESULTS_URL_SECONDS), 302);
    }
    if (format === "jsonl") return c.body(object.body, 200, { "content-type": "application/x-ndjson; charset=utf-8" });
    return c.body(object.body, 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${job.job_id}.csv"` });
  });
}
