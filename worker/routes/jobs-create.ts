/**
 * POST /v1/jobs: a batch job whose file (CSV or JSON lines, up to 5 GiB) the caller uploads
 * straight to S3 with the presigned PUT in the answer, bypassing the Worker; the upload's
 * arrival starts the job as any other. Status AWAITING_UPLOAD until then; FAILED
 * (UPLOAD_EXPIRED) when the URL expires unused.
 */
import { CreateJobRequest, CreateJobResponse } from "../../shared/schemas.ts";
import { createUploadJob } from "../jobs/submission.ts";
import { bodyRouteChecks } from "../middleware/body.ts";
import { API_KEY_SECURITY, AUTHENTICATED_ERRORS, BODY_ERRORS, SPEND_ERRORS, createRoute, errorResponses, jsonContent, type Api } from "./contract.ts";

const CREATE_JOB_MAX_BODY_BYTES = 16 * 1024;

export const createJobRoute = createRoute({
  method: "post",
  path: "/v1/jobs",
  summary: "Create a batch job for a file you upload to S3 yourself",
  description:
    'JSON {"format": "csv" | "jsonl", "bytes", "source_id"?, "options"?}. Answers 201 with the job id and a presigned PUT: send the file to upload.url with exactly upload.headers (the URL is signed for that Content-Type and Content-Length) before upload.expires_at.',
  security: API_KEY_SECURITY,
  middleware: bodyRouteChecks(CREATE_JOB_MAX_BODY_BYTES),
  request: { body: { required: true, content: jsonContent(CreateJobRequest) } },
  responses: {
    201: { description: "The job, waiting for its upload", content: jsonContent(CreateJobResponse) },
    ...errorResponses([...BODY_ERRORS, ...AUTHENTICATED_ERRORS, ...SPEND_ERRORS, "IDEMPOTENCY_CONFLICT"]),
  },
});

export function register(app: Api): void {
  app.openapi(createJobRoute, async (c) => c.json(await createUploadJob(c, c.req.valid("json")), 201));
}
