/**
 * sweep-stale-jobs: run every 15 minutes by an EventBridge schedule (on a timer by the local
 * stack), the backstop that no accepted job waits forever. Each open job is judged by the
 * status index (shared/jobs.ts JOBS_STATUS_INDEX), never by a table scan:
 * - AWAITING_UPLOAD past its upload deadline (its upload-deadline execution should have ended
 *   it): UPLOAD_EXPIRED;
 * - PENDING whose payload never reached S3 (the Worker could not store it, nor record that):
 *   UPLOAD_FAILED; PENDING past the upload event's longest delivery (EventBridge retries for
 *   24 hours) without an execution taking it: NOT_STARTED;
 * - any of them taken by an execution that no longer runs (gone, or stopped without ending the
 *   job), or PROCESSING naming no execution past the state machine's timeout: EXECUTION_LOST.
 * Each end is a conditional update on the status (and execution) the sweeper saw, so a job that
 * moved on meanwhile is left as it is. A sweep that meets a fault fails as a whole (TransientError)
 * and the next one picks up where it stopped: every judgement is made afresh.
 */
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { JOBS_STATUS_INDEX, jobPk, type JobRow, type JobStatus } from "../../shared/jobs.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The bounds a job is judged by (the stack's: lib/batch-pipeline.ts). */
export const SWEEP_BOUNDS = {
  /** Past its deadline, an AWAITING_UPLOAD job's own deadline execution has had this long to end it. */
  uploadDeadlineMarginMs: 15 * MINUTE,
  /** A PENDING job's payload is written right after its row: missing this long after, it never will be. */
  payloadMissingMs: 15 * MINUTE,
  /** The upload event's delivery is retried for 24 hours (the rule's maxEventAge); then an hour more. */
  pendingMs: 25 * HOUR,
  /** An execution that stopped this long ago had its own failure handling (mark-failed) run by now. */
  stoppedExecutionMs: 15 * MINUTE,
  /** PROCESSING rows that name no execution: the state machine's timeout (6 hours), and an hour more. */
  processingMs: 7 * HOUR,
} as const;

type IndexedJob = Pick<JobRow, "job_id" | "status" | "created_at" | "upload_key" | "upload_expires_at" | "upload_deadline_at" | "prepared_by">;

export interface SweepResult {
  checked: number;
  ended: { job_id: string; code: string }[];
}

const MESSAGES: Record<string, string> = {
  UPLOAD_EXPIRED: "The file was not uploaded before the upload URL expired; create a new job.",
  UPLOAD_FAILED: "the payload was never stored, so the job could not start; submitting it again is safe",
  NOT_STARTED: "the job's processing never started; submitting it again is safe",
  EXECUTION_LOST: "the job's execution stopped without finishing it; submitting it again is safe",
};

export async function sweepStaleJobs(deps: BatchDeps): Promise<SweepResult> {
  const now = deps.now().getTime();
  const result: SweepResult = { checked: 0, ended: [] };
  for (const status of ["AWAITING_UPLOAD", "PENDING", "PROCESSING"] as const) {
    // PENDING jobs are only judged once their payload has had time to arrive.
    const before = status === "PENDING" ? new Date(now - SWEEP_BOUNDS.payloadMissingMs).toISOString() : undefined;
    for await (const job of openJobs(deps, status, before)) {
      result.checked++;
      const code = await verdict(deps, job, now);
      if (code && (await endJob(deps, job, code))) result.ended.push({ job_id: job.job_id, code });
    }
  }
  if (result.ended.length > 0) console.error(JSON.stringify({ level: "error", event: "stale_jobs_ended", count: result.ended.length, jobs: result.ended }));
  return result;
}

/** The jobs in `status` (created before `before`, if given), page by page from the index. */
async function* openJobs(deps: BatchDeps, status: JobStatus, before?: string): AsyncGenerator<IndexedJob> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.dynamo.send(
      new QueryCommand({
        TableName: deps.table,
        IndexName: JOBS_STATUS_INDEX.name,
        KeyConditionExpression: before ? "#status = :status AND #created < :before" : "#status = :status",
        ExpressionAttributeNames: { "#status": JOBS_STATUS_INDEX.partitionKey, ...(before ? { "#created": JOBS_STATUS_INDEX.sortKey } : {}) },
        ExpressionAttributeValues: { ":status": status, ...(before ? { ":before": before } : {}) },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) yield item as IndexedJob;
    start = page.LastEvaluatedKey;
  } while (start);
}

/** The code to end `job` with, or undefined while it may still finish by itself. */
async function verdict(deps: BatchDeps, job: IndexedJob, now: number): Promise<string | undefined> {
  // Taken by an execution (prepare claims a job before it is PROCESSING; a large file takes minutes): judged by it.
  if (job.prepared_by) return executionVerdict(deps, job.prepared_by, now);
  const age = now - Date.parse(job.created_at);
  switch (job.status) {
    case "AWAITING_UPLOAD": {
      // Rows from before upload_deadline_at: the URL's expiry plus the longest grace (24 hours).
      const deadline = job.upload_deadline_at ? Date.parse(job.upload_deadline_at) : Date.parse(job.upload_expires_at ?? job.created_at) + 24 * HOUR;
      return now > deadline + SWEEP_BOUNDS.uploadDeadlineMarginMs ? "UPLOAD_EXPIRED" : undefined;
    }
    case "PENDING":
      if (!(await payloadStored(deps, job.upload_key))) return "UPLOAD_FAILED";
      return age > SWEEP_BOUNDS.pendingMs ? "NOT_STARTED" : undefined;
    case "PROCESSING":
      return age > SWEEP_BOUNDS.processingMs ? "EXECUTION_LOST" : undefined;
    default:
      return undefined;
  }
}

/** EXECUTION_LOST once the job's execution has stopped (or is gone) for long enough that its own failure handling should have run. */
async function executionVerdict(deps: BatchDeps, executionArn: string, now: number): Promise<string | undefined> {
  const execution = await executionState(deps, executionArn);
  if (execution.status === "RUNNING") return undefined;
  const stoppedFor = execution.stopDate === undefined ? Infinity : now - execution.stopDate;
  return stoppedFor > SWEEP_BOUNDS.stoppedExecutionMs ? "EXECUTION_LOST" : undefined;
}

async function payloadStored(deps: BatchDeps, key: string): Promise<boolean> {
  try {
    await deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404 || (err as Error).name === "NotFound") return false;
    throw err;
  }
}

/** Whether the execution runs, and since when it stopped (ms); one that does not exist (any more) stopped long ago. */
async function executionState(deps: BatchDeps, executionArn: string): Promise<{ status: string; stopDate?: number }> {
  try {
    const out = await deps.stepFunctions.send(new DescribeExecutionCommand({ executionArn }));
    return { status: out.status ?? "UNKNOWN", stopDate: out.stopDate?.getTime() };
  } catch (err) {
    if ((err as Error).name === "ExecutionDoesNotExist") return { status: "GONE" };
    throw err;
  }
}

/** FAILED with `code`, if the job is still as the sweeper saw it; false when it moved on. */
async function endJob(deps: BatchDeps, job: IndexedJob, code: string): Promise<boolean> {
  // Still taken by the execution judged, or still by none (one that claims it meanwhile wins).
  const sameExecution = job.prepared_by ? " AND prepared_by = :execution" : " AND attribute_not_exists(prepared_by)";
  try {
    await deps.dynamo.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { pk: jobPk(job.job_id) },
        UpdateExpression: "SET #status = :failed, #error = :error, failed_at = :at",
        ConditionExpression: `#status = :seen${sameExecution}`,
        ExpressionAttributeNames: { "#status": "status", "#error": "error" },
        ExpressionAttributeValues: {
          ":failed": "FAILED",
          ":seen": job.status,
          ":error": { code, message: MESSAGES[code] },
          ":at": deps.now().toISOString(),
          ...(job.prepared_by ? { ":execution": job.prepared_by } : {}),
        },
      }),
    );
    return true;
  } catch (err) {
    if ((err as Error).name === "ConditionalCheckFailedException") return false;
    throw err;
  }
}

export const handler = lambdaHandler((deps: BatchDeps) => sweepStaleJobs(deps));
