/** The job a request names, if it belongs to the caller's tenant: to anyone else it does not exist (404). */
import type { Context } from "hono";
import type { JobRow } from "../../shared/jobs.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

export async function ownJob(c: Context<AppEnv>, jobId: string): Promise<JobRow> {
  const job = await c.get("services").jobs.find(c.get("apiKey").record.tenant_id, jobId);
  if (!job) throw new ApiError("NOT_FOUND", "No such job.", { field: "job_id" });
  return job;
}
