/** GET /v1/status/{job_id}: a job's state in the contract's shapes (progress, result summary or error). */
import { JobIdParams, JobStatusResponse } from "../../shared/schemas.ts";
import { ownJob } from "../jobs/own-job.ts";
import { jobStatus } from "../jobs/status.ts";
import { authenticate } from "../middleware/auth.ts";
import { rateLimit } from "../rate-limiter/middleware.ts";
import { API_KEY_SECURITY, AUTHENTICATED_ERRORS, createRoute, errorResponses, jsonContent, type Api } from "./contract.ts";

export const jobStatusRoute = createRoute({
  method: "get",
  path: "/v1/status/{job_id}",
  summary: "A batch job's state (with progress, result summary or error)",
  security: API_KEY_SECURITY,
  middleware: [authenticate, rateLimit],
  request: { params: JobIdParams },
  responses: {
    200: { description: "The job's state", content: jsonContent(JobStatusResponse) },
    ...errorResponses([...AUTHENTICATED_ERRORS, "NOT_FOUND", "SERVICE_UNAVAILABLE"]),
  },
});

export function register(app: Api): void {
  app.openapi(jobStatusRoute, async (c) => c.json(jobStatus(await ownJob(c, c.req.valid("param").job_id)), 200));
}
