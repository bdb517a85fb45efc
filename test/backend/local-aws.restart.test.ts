/**
 * Local state that survives a restart, through `npm run local-aws` itself (the process `npm run
 * dev` runs in-process), killed with SIGKILL mid-job: objects, job rows and queued messages are
 * still there after, the execution that was in flight is taken up again and its job COMPLETED,
 * an upload deadline still ends its job at its time; `--fresh` starts empty.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { SQSClient } from "@aws-sdk/client-sqs";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import { LOCAL_DEFAULTS, LOCAL_RESOURCES, localCredentials } from "../../aws-backend/local/resources.ts";
import { adminEndpoint, freePort, startLocalAwsProcess } from "../local-aws-process.ts";
import { getJob, updateJob } from "../../aws-backend/lambdas/storage.ts";
import { putJobRow } from "./local-aws.ts";

const dataDir = mkdtempSync(join(tmpdir(), "aurastream-restart-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** `npm run local-aws` on a free port over the test's data folder. */
const localAws = async (args: string[] = []) => startLocalAwsProcess(await freePort(), dataDir, args);
const queueUrl = (url: string) => `${url}/000000000000/${LOCAL_RESOURCES.deadLetterQueue}`;
const sqsAt = (url: string) => new SQSClient({ ...adminEndpoint(url), endpoint: url, maxAttempts: 1 });
const endpointAt = adminEndpoint;

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("npm run local-aws keeps its state across a restart", () => {
  it("finishes the job that was in flight when it was killed, keeps objects, rows and messages, and --fresh starts empty", async () => {
    const first = await localAws(["--fresh"]);
    const deps = localBatchDeps(endpointAt(first.url));
    // Comprehend slow, so the job is mid-flight when the process dies.
    await fetch(`${first.url}/_local/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ operation: "BatchDetectSentiment", kind: "latency", latencyMs: 60_000, status: 500 }) });
    const { jobId, key } = await putJobRow(deps, "csv");
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: "text\nGreat product, thanks\nAwful support\n" }));
    const claimed = await until(() => getJob(deps, jobId), (row) => row?.prepared_by !== undefined, 20_000);
    expect(claimed?.prepared_by).toMatch(/:execution:aurastream-batch-job:/);
    // An upload job whose deadline falls after the restart, started as the Worker starts it.
    const waiting = await putJobRow(deps, "csv");
    await updateJob(deps, waiting.jobId, { status: "AWAITING_UPLOAD" });
    const deadline = new Date(Date.now() + 8_000).toISOString();
    const sfn = new SFNClient({ endpoint: first.url, region: LOCAL_DEFAULTS.region, credentials: localCredentials("worker"), maxAttempts: 1 });
    await sfn.send(new StartExecutionCommand({ stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:aurastream-upload-deadline", name: waiting.jobId, input: JSON.stringify({ job_id: waiting.jobId, deadline }) }));
    await sqsAt(first.url).send(new SendMessageCommand({ QueueUrl: queueUrl(first.url), MessageBody: "kept across restarts" }));
    await first.kill();

    const second = await localAws();
    try {
      const after = localBatchDeps(endpointAt(second.url));
      expect(second.output()).toMatch(/resumed 2 execution\(s\)/);
      const done = await until(() => getJob(after, jobId), (row) => row?.status === "COMPLETED" || row?.status === "FAILED", 60_000);
      expect(done).toMatchObject({ status: "COMPLETED", summary: { item_count: 2 } });
      const input = await after.s3.send(new GetObjectCommand({ Bucket: after.bucket, Key: key }));
      expect(await input.Body!.transformToString()).toContain("Great product");
      const attributes = await sqsAt(second.url).send(new GetQueueAttributesCommand({ QueueUrl: queueUrl(second.url), AttributeNames: ["ApproximateNumberOfMessages"] }));
      expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe("1");
      const expired = await until(() => getJob(after, waiting.jobId), (row) => row?.status === "FAILED", 20_000);
      expect(expired).toMatchObject({ status: "FAILED", error: { code: "UPLOAD_EXPIRED" } });
    } finally {
      await second.kill();
    }

    const fresh = await localAws(["--fresh"]);
    try {
      expect(await getJob(localBatchDeps(endpointAt(fresh.url)), jobId)).toBeUndefined();
      const attributes = await sqsAt(fresh.url).send(new GetQueueAttributesCommand({ QueueUrl: queueUrl(fresh.url), AttributeNames: ["ApproximateNumberOfMessages"] }));
      expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe("0");
    } finally {
      await fresh.kill();
    }
  }, 150_000);
});
