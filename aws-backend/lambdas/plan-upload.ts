/**
 * plan-upload: the state machine's first step. Claims the job for this execution (uploads can be
 * announced twice), chooses the route from the upload's size, and cuts the upload into parts
 * prepared side by side (work/upload-parts.ts): a file that fits one part is not read here; a
 * larger CSV or JSON-lines file is read once, as bytes, to find where rows end. The parts go to
 * work/parts.json, the PrepareParts Distributed Map's ItemReader: what the execution carries
 * stays the same size whatever the file's.
 */
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { parseJobInput } from "../../shared/batch-input.ts";
import { jobIdOfUploadKey } from "../../shared/jobs.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { JobNotFoundError } from "./errors.ts";
import type { PartWork } from "./prepare.ts";
import { getJob, updateJob, writeObject } from "./storage.ts";
import { workKeys, type WorkRoute } from "./work/layout.ts";
import { fitsOnePart, planParts, type UploadPlan } from "./work/upload-parts.ts";

export interface PlanUploadInput {
  bucket: string;
  key: string;
  /** The execution's id ($$.Execution.Id): a retry in the same execution takes the job again. */
  execution?: string;
}

export interface PlanUploadOutput {
  job_id: string;
  /** Another execution already took this job (S3 and EventBridge deliver at least once). */
  duplicate: boolean;
  bucket: string;
  parts_key: string;
  part_count: number;
}

export async function planUpload(deps: BatchDeps, input: PlanUploadInput): Promise<PlanUploadOutput> {
  const jobId = jobIdOfUploadKey(input.key);
  if (!jobId) throw new JobNotFoundError(`not a job upload: ${input.key}`);
  const job = await getJob(deps, jobId);
  if (!job) throw new JobNotFoundError(`no job row for ${jobId}`);
  const keys = workKeys(jobId);
  const out = { job_id: jobId, bucket: deps.bucket, parts_key: keys.partsPlan };
  if (!(await claim(deps, jobId, deps.now().toISOString(), input.execution))) return { ...out, duplicate: true, part_count: 0 };

  const size = (await deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucket, Key: input.key }))).ContentLength ?? 0;
  const route: WorkRoute = size > deps.asyncMinBytes ? "async" : "fast";
  let plan: UploadPlan = { parts: [{ index: 0, start: 0, end: size, first_line: 1 }], header_end: 0, header_lines: 0 };
  if ((job.format === "csv" || job.format === "jsonl") && !fitsOnePart(size, deps.partLimits)) {
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: input.key }));
    plan = await planParts(job.format, object.Body as AsyncIterable<Uint8Array>, size, deps.partLimits);
  }
  if (plan.parts.length > 1 && plan.header_end > 0) await checkHeader(deps, input.key, plan.header_end);
  const parts: PartWork[] = plan.parts.map((part) => ({ ...part, job_id: jobId, bucket: deps.bucket, key: input.key, route, header_end: plan.header_end, header_lines: plan.header_lines }));
  await writeObject(deps, keys.partsPlan, JSON.stringify(parts));
  // For the status page (preparation's progress); a job prepared again starts its count over.
  await updateJob(deps, jobId, { part_count: parts.length, parts_prepared: 0, rows_prepared: 0 });
  return { ...out, duplicate: false, part_count: parts.length };
}

/** The CSV header, read on its own: a file with no text column is refused at once, before its parts are prepared. */
async function checkHeader(deps: BatchDeps, key: string, headerEnd: number): Promise<void> {
  const header = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key, Range: `bytes=0-${headerEnd - 1}` }));
  await parseJobInput("csv", await header.Body!.transformToString("utf-8"));
}

/**
 * Marks the job as taken by this execution; false when another one already has it. The same
 * execution (a retry after a transient fault) takes it again and starts over.
 */
async function claim(deps: BatchDeps, jobId: string, at: string, execution: string | undefined): Promise<boolean> {
  try {
    // PENDING from here: the file came. An AWAITING_UPLOAD job's deadline (upload-deadline.asl.json,
    // the stale-job sweeper) must not end it while a large file is still being prepared.
    await updateJob(deps, jobId, { status: "PENDING", prepared_at: at, ...(execution ? { prepared_by: execution } : {}) }, undefined, {
      // PENDING (its body came through the Worker) or AWAITING_UPLOAD (its file came): not a job
      // its upload deadline has already ended FAILED, so a late object cannot revive it.
      // The same execution may also find it PROCESSING: started over from the top (the local
      // runner resuming an execution a stopped process left in flight).
      expression: `((#claim_status = :pending OR #claim_status = :awaiting) AND attribute_not_exists(prepared_at))${execution ? " OR (#claimed_by = :execution AND (#claim_status = :pending OR #claim_status = :awaiting OR #claim_status = :processing))" : ""}`,
      names: { "#claim_status": "status", ...(execution ? { "#claimed_by": "prepared_by" } : {}) },
      values: { ":pending": "PENDING", ":awaiting": "AWAITING_UPLOAD", ...(execution ? { ":execution": execution, ":processing": "PROCESSING" } : {}) },
    });
    return true;
  } catch (err) {
    if ((err as Error).name === "ConditionalCheckFailedException") return false;
    throw err;
  }
}

export const handler = lambdaHandler(planUpload);
