/**
 * Step Functions' quotas on the local runner, as AWS enforces them: a state's data over the
 * payload quota fails the execution with States.DataLimitExceeded (which States.ALL does not
 * catch), a history past its quota fails it too, and in both cases the job ends FAILED with a
 * code through the execution-status rule, never stranded PROCESSING. The quotas are lowered
 * here so that small jobs trip them. With the batches in a Distributed Map, an execution's
 * history and its largest state do not grow with the file: a job of 100 batches looks like a job
 * of one, and each child stays far inside its own quotas.
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

  it("keeps an execution's history and largest state the same for 1 batch and for 40 (the Distributed Map's children are executions of their own)", async () => {
    const small = await runJob(history, 25);
    const large = await runJob(history, 1_000);
    expect(small.job?.status).toBe("COMPLETED");
    expect(large.job?.status).toBe("COMPLETED");
    expect(large.execution.historyEvents).toBe(small.execution.historyEvents);
    expect(large.execution.historyEvents).toBeLessThan(60);
    // Only counts' digits differ; far inside 256 KiB.
    expect(Math.abs(large.execution.largestPayloadBytes - small.execution.largestPayloadBytes)).toBeLessThan(16);
    expect(large.execution.largestPayloadBytes).toBeLessThan(STEP_FUNCTIONS_QUOTAS.payloadBytes / 100);
    // A child carries at most 25 documents of at most 5,000 bytes: bounded whatever the file.
    const children = history.stepFunctions.children.slice(-100);
    expect(children.every((c) => c.status === "SUCCEEDED")).toBe(true);
  });

  it("fails an execution whose history passes the quota, and the job ends FAILED (HISTORY_LIMIT_EXCEEDED)", async () => {
    const stack = await stackWith({ historyEvents: 20 });
    const { job, execution } = await runJob(stack, 25);
    expect(execution).toMatchObject({ status: "FAILED", error: "States.Runtime" });
    expect(job).toMatchObject({ status: "FAILED", error: { code: "HISTORY_LIMIT_EXCEEDED" } });
  });

  it("fails with States.DataLimitExceeded past the payload quota, not caught by States.ALL, and the job ends FAILED", async () => {
    const stack = await stackWith({ payloadBytes: 400 });
    const { job, execution } = await runJob(stack, 25); // prepare's output (~550 bytes) is over it
    expect(execution).toMatchObject({ status: "FAILED", error: "States.DataLimitExceeded" });
    // Had the Catch (States.ALL) taken it, the execution would end in the Fail state "JobFailed".
    expect(job).toMatchObject({ status: "FAILED", error: { code: "PAYLOAD_LIMIT_EXCEEDED" } });
  });

  it("uses AWS's quotas unless told otherwise", () => {
    expect(STEP_FUNCTIONS_QUOTAS).toEqual({ payloadBytes: 262_144, historyEvents: 25_000 });
  });
});
