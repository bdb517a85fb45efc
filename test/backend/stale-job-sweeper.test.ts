/**
 * The stale-job sweeper (lambdas/sweep-stale-jobs.ts) against the local endpoint, signed as its
 * own role (the stack's policy enforced), its clock moved forward instead of waiting hours: each
 * open job past its bound ends FAILED with the code that says why, each job that may still
 * finish is left alone, and a job whose execution is still running is never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import { startLocalStack, type LocalStack } from "../../aws-backend/local/stack.ts";
import { getJob, updateJob } from "../../aws-backend/lambdas/storage.ts";
import { sweepStaleJobs } from "../../aws-backend/lambdas/sweep-stale-jobs.ts";
import type { JobRow, JobStatus } from "../../shared/jobs.ts";
import { putJobRow, startLocalAws, TEST_COMPREHEND_RATES, type LocalAws } from "./local-aws.ts";

const HOUR = 3_600_000;
const sweepAt = (endpoint: LocalAws, at: number) => sweepStaleJobs(localBatchDeps(endpoint, "sweep-stale-jobs", { now: () => new Date(at) }));

describe("stale-job sweeper: jobs past their bounds", () => {
  let endpoint: LocalAws;
  // The endpoint alone: no runner, so no execution exists and payloads start nothing.
  beforeAll(async () => {
    endpoint = await startLocalAws({ port: 0 });
  });
  afterAll(() => endpoint.close());
  const admin = () => localBatchDeps(endpoint);

  async function job(status: JobStatus, createdHoursAgo: number, fields: Partial<JobRow> = {}, payload = false): Promise<string> {
    const { jobId, key, row } = await putJobRow(admin(), "csv");
    const created = new Date(Date.now() - createdHoursAgo * HOUR).toISOString();
    await admin().dynamo.send(new PutCommand({ TableName: admin().table, Item: { ...row, status, created_at: created, ...fields } }));
    if (payload) await admin().s3.send(new PutObjectCommand({ Bucket: admin().bucket, Key: key, Body: "text\nfine\n" }));
    return jobId;
  }
  const state = async (jobId: string) => {
    const row = await getJob(admin(), jobId);
    return row?.status === "FAILED" ? row.error?.code : row?.status;
  };

  it("ends each job past its bound with the code that says why, and leaves the rest", async () => {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const jobs = {
      expiredUpload: await job("AWAITING_UPLOAD", 2, { upload_expires_at: iso(now - 90 * 60_000), upload_deadline_at: iso(now - 30 * 60_000) }),
      uploadInGrace: await job("AWAITING_UPLOAD", 2, { upload_expires_at: iso(now - 90 * 60_000), upload_deadline_at: iso(now + 30 * 60_000) }),
      payloadNeverStored: await job("PENDING", 0.5),
      payloadJustWritten: await job("PENDING", 0.1),
      eventNeverCame: await job("PENDING", 26, {}, true),
      eventStillMayCome: await job("PENDING", 20, {}, true),
      executionGone: await job("PROCESSING", 1, { prepared_by: "arn:aws:states:us-east-1:000000000000:execution:aurastream-batch-job:lost" }),
      claimedThenGone: await job("PENDING", 1, { prepared_by: "arn:aws:states:us-east-1:000000000000:execution:aurastream-batch-job:lost-too" }, true),
      oldRowPastTimeout: await job("PROCESSING", 8),
      oldRowWithinTimeout: await job("PROCESSING", 2),
      completed: await job("COMPLETED", 100),
    };
    const result = await sweepAt(endpoint, now);
    const states = Object.fromEntries(await Promise.all(Object.entries(jobs).map(async ([name, id]) => [name, await state(id)])));
    expect(states).toEqual({
      expiredUpload: "UPLOAD_EXPIRED",
      uploadInGrace: "AWAITING_UPLOAD",
      payloadNeverStored: "UPLOAD_FAILED",
      payloadJustWritten: "PENDING",
      eventNeverCame: "NOT_STARTED",
      eventStillMayCome: "PENDING",
      executionGone: "EXECUTION_LOST",
      claimedThenGone: "EXECUTION_LOST",
      oldRowPastTimeout: "EXECUTION_LOST",
      oldRowWithinTimeout: "PROCESSING",
      completed: "COMPLETED",
    });
    expect(result.ended.filter((e) => Object.values(jobs).includes(e.job_id))).toHaveLength(6);
    const lost = await getJob(admin(), jobs.executionGone);
    expect(lost?.error?.message).toMatch(/submitting it again is safe/);
    expect(lost?.failed_at).toBe(new Date(now).toISOString());
    // A second sweep finds nothing more to end among them.
    const again = await sweepAt(endpoint, now);
    expect(again.ended.filter((e) => Object.values(jobs).includes(e.job_id))).toEqual([]);
  });

  it("judges a job an execution has taken by that execution, not by its age", async () => {
    const id = await job("PENDING", 30, { prepared_by: "arn:aws:states:us-east-1:000000000000:execution:aurastream-batch-job:fresh" }, true);
    await sweepAt(endpoint, Date.now());
    expect(await state(id)).toBe("EXECUTION_LOST");
  });
});

describe("stale-job sweeper: jobs with a running execution", () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, retryIntervalMs: 5, sweepIntervalMs: 0, comprehend: { rates: TEST_COMPREHEND_RATES } });
  });
  afterAll(() => stack.endpoint.close());
  const admin = () => localBatchDeps(stack.endpoint);

  it("leaves a job alone while its execution runs, however old it looks, and ends it once the execution is gone", async () => {
    // Comprehend slow: the execution is still running when the sweeper looks.
    stack.endpoint.faults.add({ operation: "BatchDetectSentiment", kind: "latency", latencyMs: 1_500, status: 500, count: 1 });
    const { jobId, key } = await putJobRow(admin(), "csv");
    await admin().s3.send(new PutObjectCommand({ Bucket: admin().bucket, Key: key, Body: "text\nGreat product\nAwful support\n" }));
    for (let i = 0; i < 100 && !(await getJob(admin(), jobId))?.prepared_by; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await getJob(admin(), jobId))?.prepared_by).toMatch(/:execution:aurastream-batch-job:/);
    await sweepStaleJobs(localBatchDeps(stack.endpoint, "sweep-stale-jobs", { now: () => new Date(Date.now() + 30 * HOUR) }));
    expect((await getJob(admin(), jobId))?.status).not.toBe("FAILED");
    await stack.idle();
    expect((await getJob(admin(), jobId))?.status).toBe("COMPLETED");

    // An execution that ended without ending its job (its job put back to PROCESSING): lost only once it has been stopped 15 minutes.
    await updateJob(admin(), jobId, { status: "PROCESSING" });
    await sweepStaleJobs(localBatchDeps(stack.endpoint, "sweep-stale-jobs", { now: () => new Date(Date.now() + 5 * 60_000) }));
    expect((await getJob(admin(), jobId))?.status).toBe("PROCESSING");
    await sweepStaleJobs(localBatchDeps(stack.endpoint, "sweep-stale-jobs", { now: () => new Date(Date.now() + 20 * 60_000) }));
    expect(await getJob(admin(), jobId)).toMatchObject({ status: "FAILED", error: { code: "EXECUTION_LOST" } });
  });
});
