/**
 * The whole batch pipeline locally: an upload under uploads/ starts the real ASL file in
 * aws-local-stepfunctions, whose tasks run the real handlers against the local endpoint.
 */
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { processedKeys, type JobFormat, type JobRow } from "../../shared/jobs.ts";
import { localBatchDeps, LOCAL_WEBHOOK_SECRET } from "../../aws-backend/local/batch-deps.ts";
import { LocalStepFunctions } from "../../aws-backend/local/step-functions.ts";
import { getJob } from "../../aws-backend/lambdas/storage.ts";
import { verifyWebhook } from "../../aws-backend/lambdas/webhook-signature.ts";
import type { BatchDeps } from "../../aws-backend/lambdas/deps.ts";
import { putJobRow, startLocalAws, type LocalAws } from "./local-aws.ts";

let endpoint: LocalAws;
let deps: BatchDeps;
let runner: LocalStepFunctions;
beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0, onObjectCreated: (e) => runner.onObjectCreated(e) });
  deps = localBatchDeps(endpoint);
  runner = new LocalStepFunctions({ depsFor: (fn) => localBatchDeps(endpoint, fn), endpoint, retryIntervalMs: 5 });
});
afterAll(() => endpoint.close());

async function submit(format: JobFormat, body: string, options: Partial<JobRow["options"]> = {}) {
  const { jobId, key } = await putJobRow(deps, format, options);
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: body }));
  await runner.idle();
  return { jobId, job: await getJob(deps, jobId) };
}

describe("batch pipeline, run locally", () => {
  it("completes a CSV job started by its upload: PROCESSING, batches, results and summary", async () => {
    const { jobId, job } = await submit("csv", "id,text\na,I love it\nb,Awful and slow\nc,It arrived on Monday\n", { language_code: "en" });
    expect(job).toMatchObject({ status: "COMPLETED", item_count: 3, batch_count: 1, batches_done: 1, summary: { item_count: 3, distribution: { POSITIVE: 1, NEGATIVE: 1, NEUTRAL: 1 } } });
    const results = await (await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: processedKeys(jobId).results }))).Body!.transformToString();
    expect(results.trim().split("\n").map((l) => JSON.parse(l).id)).toEqual(["a", "b", "c"]);
  });

  it("runs a job once when its upload is announced twice (at-least-once delivery)", async () => {
    const { jobId, job } = await submit("csv", "id,text\nd1,Brilliant\nd2,Dreadful\n", { language_code: "en" });
    expect(job?.status).toBe("COMPLETED");
    const again = await runner.start({ detail: { bucket: { name: deps.bucket }, object: { key: job!.upload_key } } });
    expect(again).toMatchObject({ plan: { job_id: jobId, duplicate: true } });
    expect(await getJob(deps, jobId)).toMatchObject({ status: "COMPLETED", batches_done: 1 });
  });

  it("retries Comprehend throttling (Comprehend.ThrottlingException) and completes", async () => {
    const marker = `zq${crypto.randomUUID().slice(0, 8)}`;
    endpoint.faults.add({ operation: "BatchDetectSentiment", kind: "throttle", count: 2, match: marker, status: 500, latencyMs: 0 });
    const { job } = await submit("jsonl", `{"id":"1","text":"Great ${marker}"}\n`, { language_code: "en" });
    expect(job?.status).toBe("COMPLETED");
    expect(endpoint.faults.list().filter((f) => f.match === marker)).toHaveLength(0);
  });

  it("fails the rows Comprehend kept throttling past the retries, and the job (TOO_MANY_FAILED_ROWS) when they are too many, input kept under failed/", async () => {
    const marker = `zq${crypto.randomUUID().slice(0, 8)}`;
    endpoint.faults.add({ operation: "BatchDetectSentiment", kind: "throttle", match: marker, status: 500, latencyMs: 0 });
    try {
      const { jobId, job } = await submit("jsonl", `{"id":"1","text":"Great ${marker}"}\n`, { language_code: "en" });
      expect(job).toMatchObject({ status: "FAILED", error: { code: "TOO_MANY_FAILED_ROWS", message: expect.stringMatching(/^1 of 1 rows failed \(100%\)/) } });
      const results = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: `processed/${jobId}/results.jsonl` }));
      expect(JSON.parse(await results.Body!.transformToString())).toMatchObject({ id: "1", line: 1, error: { message: expect.stringContaining("Comprehend.ThrottlingException") } });
      const kept = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: `failed/${jobId}/input` }));
      expect(await kept.Body!.transformToString()).toContain(marker);
    } finally {
      endpoint.faults.clear(marker);
    }
  });

  it("ends FAILED with INVALID_INPUT naming the line for a CSV with an unterminated quote", async () => {
    const { job } = await submit("csv", 'id,text\n1,"open quote\n');
    expect(job).toMatchObject({ status: "FAILED", error: { code: "INVALID_INPUT", message: "line 2: unterminated quoted field" } });
  });

  it("delivers the webhook when asked, signed", async () => {
    const bodies: { body: string; signature: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c)).on("end", () => {
        bodies.push({ body, signature: String(req.headers["x-aurastream-signature"]) });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/done`;
      const { jobId } = await submit("text", "Nice. Very nice.", { language_code: "en", callback_url: url });
      expect(bodies).toHaveLength(1);
      expect(JSON.parse(bodies[0]!.body)).toMatchObject({ job_id: jobId, status: "COMPLETED" });
      expect(verifyWebhook(LOCAL_WEBHOOK_SECRET, bodies[0]!.body, bodies[0]!.signature, Math.floor(Date.now() / 1000))).toBe(true);
    } finally {
      server.close();
    }
  });
});
