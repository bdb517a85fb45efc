/**
 * Object-created events as AWS delivers them (later, sometimes twice), through the whole local
 * stack: a late event leaves the job PENDING until it arrives, and a second delivery of the same
 * upload starts an execution that stops at IsDuplicate, so the job is analysed once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import { LocalEventBus } from "../../aws-backend/local/events.ts";
import { startLocalStack, type LocalStack } from "../../aws-backend/local/stack.ts";
import { getJob } from "../../aws-backend/lambdas/storage.ts";
import { processedKeys } from "../../shared/jobs.ts";
import { putJobRow, TEST_COMPREHEND_RATES } from "./local-aws.ts";

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    retryIntervalMs: 5,
    comprehend: { rates: TEST_COMPREHEND_RATES },
    // Late enough that the test reads the job before any delivery, even on a loaded machine.
    events: { minDelayMs: 600, maxDelayMs: 900, duplicateShare: 1, seed: 42 },
  });
});
afterAll(() => stack.endpoint.close());

describe("event delivery", () => {
  it("is repeatable: the same seed gives the same delays and duplicates", () => {
    const run = (seed: number) => {
      const seen: number[] = [];
      const bus = new LocalEventBus<number>((e) => seen.push(e), { duplicateShare: 0.5, seed, minDelayMs: 0, maxDelayMs: 0 });
      for (let i = 0; i < 40; i++) bus.publish(i);
      return bus.counts.duplicated;
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).toBeGreaterThan(5);
    expect(run(7)).toBeLessThan(35);
  });

  it("delivers late and twice, and the job is still analysed exactly once", async () => {
    const deps = localBatchDeps(stack.endpoint);
    const { jobId, key } = await putJobRow(deps, "csv", { language_code: "en" });
    const startedBefore = stack.stepFunctions.started;
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: "id,text\na,I love it\nb,Awful\n" }));
    // Nothing has arrived yet: the upload's request never runs the pipeline itself.
    expect((await getJob(deps, jobId))?.status).toBe("PENDING");
    expect(stack.stepFunctions.started).toBe(startedBefore);

    await stack.idle();
    expect(stack.stepFunctions.started - startedBefore).toBe(2); // the upload announced twice
    const job = await getJob(deps, jobId);
    expect(job).toMatchObject({ status: "COMPLETED", batch_count: 1, batches_done: 1, summary: { item_count: 2 } });
    const results = await (await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: processedKeys(jobId).results }))).Body!.transformToString();
    expect(results.trim().split("\n").map((l) => JSON.parse(l).id)).toEqual(["a", "b"]);
  });
});
