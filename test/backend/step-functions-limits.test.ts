/**
 * Step Functions' quotas on the local runner, as AWS enforces them: a state's data over the
 * payload quota fails the execution with States.DataLimitExceeded (which States.ALL does not
 * catch), a history past its quota fails it too, and in both cases the job ends FAILED with a
 * code through the execution-status rule, never stranded PROCESSING. The quotas are lowered
 * here so that small jobs trip them; the history is counted as AWS counts it (27 + 17 per batch).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import { STEP_FUNCTIONS_QUOTAS } from "../../aws-backend/local/execution-limits.ts";
import { startLocalStack, type LocalStack } from "../../aws-backend/local/stack.ts";
import { getJob } from "../../aws-backend/lambdas/storage.ts";
import { putJobRow, TEST_COMPREHEND_RATES } from "./local-aws.ts";

const stacks: LocalStack[] = [];
async function stackWith(limits: { payloadBytes?: number; historyEvents?: number }) {
  const stack = await startLocalStack({ port: 0, retryIntervalMs: 1, comprehend: { rates: TEST_COMPREHEND_RATES }, events: { minDelayMs: 0, maxDelayMs: 0, duplicateShare: 0 }, limits });
  stacks.push(stack);
  return stack;
}
afterAll(async () => Promise.all(stacks.map((s) => s.endpoint.close())));

/** A CSV of `rows` distinct English rows: `rows / 25` Comprehend batches. */
const csv = (rows: number) => "id,text\n" + Array.from({ length: rows }, (_, i) => `r${i},Review number ${i} says the product is good`).join("\n") + "\n";

async function runJob(stack: LocalStack, rows: number) {
  const deps = localBatchDeps(stack.endpoint);
  const { jobId, key } = await putJobRow(deps, "csv", { language_code: "en" });
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: csv(rows) }));
  await stack.idle();
  return { job: await getJob(deps, jobId), execution: stack.stepFunctions.executions.at(-1)! };
}

describe("Step Functions quotas", () => {
  let history: LocalStack;
  beforeAll(async () => {
    history = await stackWith({ historyEvents: 300 });
  });

  it("counts an execution's history as AWS does: 27 events plus 17 per batch", async () => {
    const { job, execution } = await runJob(history, 250); // 10 batches
    expect(job?.status).toBe("COMPLETED");
    expect(execution).toEqual({ status: "SUCCEEDED", historyEvents: 27 + 17 * 10, error: undefined });
  });

  it("fails an execution whose history passes the quota, and the job ends FAILED (HISTORY_LIMIT_EXCEEDED)", async () => {
    const { job, execution } = await runJob(history, 500); // 20 batches: 367 events > 300
    expect(execution).toMatchObject({ status: "FAILED", error: "States.Runtime" });
    expect(job).toMatchObject({ status: "FAILED", error: { code: "HISTORY_LIMIT_EXCEEDED" } });
  });

  it("fails with States.DataLimitExceeded past the payload quota, not caught by States.ALL, and the job ends FAILED", async () => {
    const stack = await stackWith({ payloadBytes: 4_096 });
    const { job, execution } = await runJob(stack, 2_500); // 100 batch refs in prepare's output: ~5 KiB
    expect(execution).toMatchObject({ status: "FAILED", error: "States.DataLimitExceeded" });
    // Had the Catch (States.ALL) taken it, the execution would end in the Fail state "JobFailed".
    expect(job).toMatchObject({ status: "FAILED", error: { code: "PAYLOAD_LIMIT_EXCEEDED" } });
  });

  it("uses AWS's quotas unless told otherwise", () => {
    expect(STEP_FUNCTIONS_QUOTAS).toEqual({ payloadBytes: 262_144, historyEvents: 25_000 });
  });
});
