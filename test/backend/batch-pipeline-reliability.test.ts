/**
 * Transient faults while a job runs: the Lambdas' SDK retries, then the state machine's retry of
 * a TransientError, cure what passes; what does not pass ends the job FAILED RETRIES_EXHAUSTED
 * (never PROCESSING_ERROR, never left running). The real ASL, handlers and local endpoint.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import { LocalStepFunctions } from "../../aws-backend/local/step-functions.ts";
import { getJob, updateJob } from "../../aws-backend/lambdas/storage.ts";
import { isTransient, lambdaFailure, TransientError } from "../../aws-backend/lambdas/errors.ts";
import type { BatchDeps } from "../../aws-backend/lambdas/deps.ts";
import type { Fault } from "../../aws-backend/local/faults.ts";
import { InvalidInputError } from "../../shared/batch-input.ts";
import { putJobRow, startLocalAws, type LocalAws } from "./local-aws.ts";

let endpoint: LocalAws;
let deps: BatchDeps;
let runner: LocalStepFunctions;
const logs: string[] = [];
beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0, onObjectCreated: (e) => runner.onObjectCreated(e) });
  deps = localBatchDeps(endpoint);
  runner = new LocalStepFunctions({ depsFor: (fn) => localBatchDeps(endpoint, fn), endpoint, retryIntervalMs: 5, log: (l) => logs.push(l) });
});
afterAll(() => endpoint.close());
afterEach(() => endpoint.faults.clear());

const CSV = "id,text\na,I love it\nb,Awful and slow\n";

/** A job whose faults (scoped to its id where the call's body names it) are set before its upload. */
async function runJob(faults: (jobId: string) => Partial<Fault>[]) {
  const { jobId, key } = await putJobRow(deps, "csv", { language_code: "en" });
  for (const fault of faults(jobId)) endpoint.faults.add(fault as Fault);
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: CSV }));
  await runner.idle();
  return getJob(deps, jobId);
}

describe("a job under transient faults", () => {
  it("completes when DynamoDB fails more times than the SDK retries (the state machine retries prepare)", async () => {
    // 7 failures of the job's GetItem: prepare's 5 SDK attempts, then its retried run's first 2.
    const job = await runJob((jobId) => [{ operation: "dynamodb:GetItem", kind: "error", count: 7, match: jobId }]);
    expect(job).toMatchObject({ status: "COMPLETED", summary: { item_count: 2 } });
    expect(endpoint.faults.list()).toHaveLength(0);
  });

  it("completes when connections to DynamoDB are dropped unanswered (the Lambdas' and the state machine's own calls)", async () => {
    const job = await runJob((jobId) => [{ operation: "dynamodb:UpdateItem", kind: "reset", count: 4, match: jobId }]);
    expect(job).toMatchObject({ status: "COMPLETED", batches_done: 1 });
    expect(endpoint.faults.list()).toHaveLength(0);
  });

  it("completes when S3 answers 5xx past the SDK's retries, prepare taking the job again in the same execution", async () => {
    const job = await runJob(() => [{ operation: "s3:GetObject", kind: "error", status: 503, count: 6 }]);
    expect(job).toMatchObject({ status: "COMPLETED", summary: { item_count: 2, distribution: { POSITIVE: 1, NEGATIVE: 1 } } });
  });

  it("ends FAILED RETRIES_EXHAUSTED, saying so and that resubmitting is safe, when S3 keeps failing", async () => {
    const job = await runJob(() => [{ operation: "s3:GetObject", kind: "error", status: 500 }]);
    expect(job).toMatchObject({
      status: "FAILED",
      // The first read to fail for good is the parts' (the Map's ItemReader), named with S3's error.
      error: { code: "RETRIES_EXHAUSTED", message: expect.stringMatching(/^AWS kept failing past the job's retries \(States\.ItemReaderFailed: S3 InternalError.*submitting it again is safe$/) },
    });
  }, 30_000);

  // A part's summary is the one object whose body says "analysed".
  const summaryWrite = { operation: "s3:PutObject", kind: "error", status: 500, match: '"analysed":' } as const;

  it("completes when writing a part's results fails past the SDK's retries (the AggregateParts child retries)", async () => {
    const job = await runJob(() => [{ ...summaryWrite, count: 4 }]);
    expect(job).toMatchObject({ status: "COMPLETED", summary: { item_count: 2, distribution: { POSITIVE: 1, NEGATIVE: 1 } } });
  });

  it("ends FAILED RESULTS_NOT_WRITTEN, saying resubmitting is safe, when a part's results keep failing to be written", async () => {
    const job = await runJob(() => [summaryWrite]);
    expect(job).toMatchObject({ status: "FAILED", error: { code: "RESULTS_NOT_WRITTEN", message: expect.stringMatching(/could not be written past its retries; submitting it again is safe$/) } });
  }, 30_000);
});

describe("a job ended while its execution runs", () => {
  it("keeps its end: an execution finding the job already FAILED when its analysis would begin stops there", async () => {
    const { jobId, key } = await putJobRow(deps, "csv", { language_code: "en" });
    // MarkProcessing's write (the one that starts the join's count) is held a moment; meanwhile the job is ended, as the sweeper would.
    endpoint.faults.add({ operation: "dynamodb:UpdateItem", kind: "latency", latencyMs: 1_500, count: 1, match: "parts_joined = :zero" } as Fault);
    const injected = endpoint.faults.injected;
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: CSV }));
    while (endpoint.faults.injected === injected) await new Promise((resolve) => setTimeout(resolve, 20));
    await updateJob(deps, jobId, { status: "FAILED", error: { code: "EXECUTION_LOST", message: "ended by the sweeper" } });
    await runner.idle();
    expect(await getJob(deps, jobId)).toMatchObject({ status: "FAILED", error: { code: "EXECUTION_LOST" } });
    expect(runner.executions.at(-1)).toMatchObject({ status: "FAILED", error: "JobEndedElsewhere" });
  });
});

describe("which failures are transient", () => {
  const sdkError = (name: string, status?: number, extra: object = {}) =>
    Object.assign(new Error("x"), { name, ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }), ...extra });

  it.each([
    ["S3 SlowDown (503)", sdkError("SlowDown", 503), true],
    ["DynamoDB throttling (400)", sdkError("ThrottlingException", 400), true],
    ["a 500", sdkError("InternalServerError", 500), true],
    ["a dropped connection", sdkError("Error", undefined, { code: "ECONNRESET" }), true],
    ["the SDK's timeout", sdkError("TimeoutError"), true],
    ["a refused permission", sdkError("AccessDeniedException", 400), false],
    ["a missing object", sdkError("NoSuchKey", 404), false],
    ["a failed condition", sdkError("ConditionalCheckFailedException", 400), false],
    ["bad input", new InvalidInputError("line 2: unterminated quoted field"), false],
    ["a bug", new TypeError("x is undefined"), false],
  ])("%s: %s", (_what, err, transient) => {
    expect(isTransient(err)).toBe(transient);
    expect(lambdaFailure(err) instanceof TransientError).toBe(transient);
  });

  it("keeps a permanent error's own name, so its code says what it is", () => {
    expect(lambdaFailure(new InvalidInputError("bad")).name).toBe("InvalidInputError");
    expect(lambdaFailure(sdkError("SlowDown", 503)).message).toBe("SlowDown (HTTP 503) outlasted the SDK's retries");
  });
});
