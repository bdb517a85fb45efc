/**
 * The batch Lambdas, called directly against the local endpoint (S3, DynamoDB, Comprehend):
 * a CSV through prepare -> batches -> aggregate, malformed input to FAILED, a signed webhook.
 */
import { createServer, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchDetectSentimentCommand } from "@aws-sdk/client-comprehend";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { failedKey, processedKeys, type JobFormat, type JobRow } from "../../shared/jobs.ts";
import { localBatchDeps, LOCAL_WEBHOOK_SECRET } from "../../aws-backend/local/batch-deps.ts";
import { planUpload } from "../../aws-backend/lambdas/plan-upload.ts";
import { prepare as prepareLambda, type PartWork } from "../../aws-backend/lambdas/prepare.ts";
import { collectParts } from "../../aws-backend/lambdas/collect-parts.ts";
import { loadBatch } from "../../aws-backend/lambdas/load-batch.ts";
import { saveBatch } from "../../aws-backend/lambdas/save-batch.ts";
import { markFailed } from "../../aws-backend/lambdas/mark-failed.ts";
import { deliverWebhook } from "../../aws-backend/lambdas/webhook.ts";
import { verifyWebhook } from "../../aws-backend/lambdas/webhook-signature.ts";
import { getJob, listKeys, readJson, updateJob } from "../../aws-backend/lambdas/storage.ts";
import { jobStatus } from "../../worker/jobs/status.ts";
import { workKeys } from "../../aws-backend/lambdas/work/layout.ts";
import type { BatchDeps } from "../../aws-backend/lambdas/deps.ts";
import type { LambdaName } from "../../aws-backend/lib/batch-pipeline.ts";
import { aggregateJob, prepareUpload, putJobRow, startLocalAws, type LocalAws } from "./local-aws.ts";
import { JOB_BATCH_CONCURRENCY } from "../../shared/comprehend.ts";

let endpoint: LocalAws;
let deps: BatchDeps;
beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0 });
  deps = localBatchDeps(endpoint);
});

/** Each handler is called with its own role's clients, so a permission its role lacks fails here. */
const as = (fn: LambdaName) => localBatchDeps(endpoint, fn);
const prepare = (key: string) => prepareUpload(as, key);
afterAll(() => endpoint.close());

async function submit(format: JobFormat, body: string, options: Partial<JobRow["options"]> = {}) {
  const { jobId, key } = await putJobRow(deps, format, options);
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: body }));
  return { jobId, key };
}

/** What the state machine's fast route does between prepare and aggregate, done here by hand: each listed batch file. */
async function runBatches(jobId: string) {
  for (const Key of await batchKeys(jobId)) {
    const loaded = await loadBatch(as("load-batch"), { Key });
    const out = await deps.comprehend.send(new BatchDetectSentimentCommand({ TextList: loaded.TextList, LanguageCode: loaded.LanguageCode as "en" }));
    await saveBatch(as("save-batch"), { key: loaded.key, language: loaded.LanguageCode, first: loaded.first, size: loaded.size, ResultList: out.ResultList as never, ErrorList: (out.ErrorList ?? []) as never });
  }
}

/** The batch files, as collect-parts' manifest (the Distributed Map's ItemReader) lists them: the same as S3 holds for the one part. */
async function batchKeys(jobId: string): Promise<string[]> {
  const manifest = (JSON.parse(await text(workKeys(jobId).batchesManifest)) as { Key: string }[]).map((b) => b.Key);
  expect(manifest.sort()).toEqual(await listKeys(deps, `${workKeys(jobId).batchesPrefix}p-00000/`));
  return manifest;
}

const text = async (key: string) =>
  (await (await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }))).Body!.transformToString("utf-8"));

describe("batch handlers", () => {
  it("take a CSV from upload to per-item results and a COMPLETED summary, analysing repeated texts once", async () => {
    const csv = "id,text\nr1,I love this product\nr2,Terrible support and a broken box\nr3,I love this product\nr4,Write to ann@example.com today\nr5,\n";
    const { jobId, key } = await submit("csv", csv, { language_code: "en" });
    const prepared = await prepare(key);
    expect(prepared).toMatchObject({ job_id: jobId, duplicate: false, part_count: 1, route: "fast", item_count: 5, doc_count: 3, batch_count: 1, max_concurrency: JOB_BATCH_CONCURRENCY, has_callback: false });
    // The same upload announced twice: the second start finds the job taken.
    expect(await planUpload(as("plan-upload"), { bucket: deps.bucket, key })).toMatchObject({ job_id: jobId, duplicate: true, part_count: 0 });
    const [batchKey] = await batchKeys(jobId);
    const batch = await loadBatch(as("load-batch"), { Key: batchKey! });
    expect(batch.TextList).toHaveLength(3); // r1 and r3 are one document; r5 is empty
    expect(batch.TextList).toContain("Write to [EMAIL] today");

    await runBatches(jobId);
    expect(await aggregateJob(as, jobId)).toEqual({ status: "COMPLETED", item_count: 5 });

    const lines = (await text(processedKeys(jobId).results)).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.sentiment ?? l.error.code])).toEqual([
      ["r1", "POSITIVE"],
      ["r2", "NEGATIVE"],
      ["r3", "POSITIVE"],
      ["r4", "NEUTRAL"],
      ["r5", "VALIDATION_ERROR"],
    ]);
    // The same per-item error as an empty text in real time.
    expect(lines[4].error).toEqual({ code: "VALIDATION_ERROR", message: "text: must not be empty or only whitespace", field: "text" });
    expect(lines[3]).toMatchObject({ pii_detected: true, pii_types: { EMAIL: 1 } });
    const job = await getJob(deps, jobId);
    expect(job).toMatchObject({
      status: "COMPLETED",
      batches_done: 1,
      summary: { item_count: 5, failed_items: 1, distribution: { POSITIVE: 2, NEGATIVE: 1, NEUTRAL: 1, MIXED: 0 }, languages: { en: 4 } },
    });
  });

  it("detect each text's language when none is given, and batch per language", async () => {
    const items = JSON.stringify({
      items: [
        { id: "en", text: "The delivery was quick and the staff were friendly" },
        { id: "es", text: "Me encanta este producto, es excelente y muy bonito" },
      ],
    });
    const { jobId, key } = await submit("items", items);
    const prepared = await prepare(key);
    expect(prepared).toMatchObject({ batch_count: 2 });
    await runBatches(jobId);
    await aggregateJob(as, jobId);
    expect((await getJob(deps, jobId))?.summary?.languages).toEqual({ en: 1, es: 1 });
  });

  it("fail only a malformed row: its line and reason in the results (JSON lines and CSV), the job COMPLETED", async () => {
    const { jobId, key } = await submit("csv", 'id,text\nr1,Great product\nr2,"broken"quote\nr3,Awful support, I want a refund,extra\nr4,Fine\n', { language_code: "en" });
    await prepare(key);
    await runBatches(jobId);
    await aggregateJob(as, jobId);
    const lines = (await text(processedKeys(jobId).results)).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.line, l.sentiment ?? l.error.message])).toEqual([
      ["r1", 2, "POSITIVE"],
      ["r2", 3, "row: text after a closing quote"],
      ["r3", 4, "row: expected 2 fields, found 4"],
      ["r4", 5, expect.any(String)],
    ]);
    const csv = (await text(processedKeys(jobId).resultsCsv)).trim().split("\r\n");
    expect(csv).toHaveLength(5);
    expect(csv[2]).toBe("r2,3,,,,,,,,,false,,VALIDATION_ERROR,row: text after a closing quote");
    expect(await getJob(deps, jobId)).toMatchObject({ status: "COMPLETED", summary: { item_count: 4, failed_items: 2, route: "fast" } });
  });

  it("refuse a CSV with an unterminated quote, and mark-failed records INVALID_INPUT naming the line and keeps the input", async () => {
    const { jobId, key } = await submit("csv", 'id,text\n1,fine\n2,"never closed\n3,more\n');
    const error = await prepare(key).catch((e: Error) => e);
    expect(error).toMatchObject({ name: "InvalidInputError", message: "line 3: unterminated quoted field" });
    // What Step Functions passes to the Catch for a Lambda error.
    const cause = JSON.stringify({ errorType: "InvalidInputError", errorMessage: (error as Error).message });
    await markFailed(as("mark-failed"), { bucket: deps.bucket, key, error: { Error: "InvalidInputError", Cause: cause } });
    expect(await getJob(deps, jobId)).toMatchObject({ status: "FAILED", error: { code: "INVALID_INPUT", message: "line 3: unterminated quoted field" } });
    expect(await text(failedKey(jobId))).toContain("never closed");
  });

  it("move an uploaded file's job out of AWAITING_UPLOAD as soon as it is taken, so its upload deadline cannot end it while it is prepared", async () => {
    const { jobId, key } = await submit("csv", "id,text\n1,fine\n", { language_code: "en" });
    await updateJob(deps, jobId, { status: "AWAITING_UPLOAD" });
    await planUpload(as("plan-upload"), { bucket: deps.bucket, key });
    const job = await getJob(deps, jobId);
    expect(job).toMatchObject({ status: "PENDING", part_count: 1 });
    expect(jobStatus(job!)).toMatchObject({ status: "PENDING", stage: "preparing", preparation: { parts_done: 0, part_count: 1 } });
    // What the upload-deadline machine does at the deadline: only a job still AWAITING_UPLOAD.
    const deadline = updateJob(deps, jobId, { status: "FAILED" }, undefined, { expression: "#st = :awaiting", names: { "#st": "status" }, values: { ":awaiting": "AWAITING_UPLOAD" } });
    await expect(deadline).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });
  });

  it("fail the job with a part's own error when that part failed past its retries (its child's Catch records it)", async () => {
    const { jobId, key } = await submit("csv", "id,text\n1,fine\n", { language_code: "en" });
    const plan = await planUpload(as("plan-upload"), { bucket: deps.bucket, key });
    const [part] = await readJson<PartWork[]>(deps, plan.parts_key);
    const lambdaError = { errorType: "TransientError", errorMessage: "SlowDown (HTTP 503)" };
    await prepareLambda(as("prepare"), { ...part!, failure: { Error: "TransientError", Cause: JSON.stringify(lambdaError) } });
    const error = (await collectParts(as("collect-parts"), { job_id: jobId }).catch((e: Error) => e)) as Error;
    expect(error).toMatchObject({ name: "PreparePartFailed", message: "TransientError: SlowDown (HTTP 503)" });
    await markFailed(as("mark-failed"), { bucket: deps.bucket, key, error: { Error: error.name, Cause: JSON.stringify({ errorType: error.name, errorMessage: error.message }) } });
    expect(await getJob(deps, jobId)).toMatchObject({
      status: "FAILED",
      error: { code: "RETRIES_EXHAUSTED", message: expect.stringMatching(/^AWS kept failing past the job's retries \(SlowDown \(HTTP 503\)\).*submitting it again is safe$/) },
    });
  });

  it("deliver a webhook whose signature verifies with the shared key", async () => {
    const received: { headers: IncomingMessage["headers"]; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const { jobId, key } = await submit("text", "Lovely product. Fast shipping.", { language_code: "en", callback_url: `http://127.0.0.1:${port}/hook` });
      const prepared = await prepare(key);
      expect(prepared).toMatchObject({ has_callback: true });
      await runBatches(jobId);
      await aggregateJob(as, jobId);
      expect(await deliverWebhook(as("webhook"), { job_id: jobId })).toEqual({ delivered: true, status: 204 });
      const [call] = received;
      expect(JSON.parse(call!.body)).toMatchObject({ event: "job.completed", job_id: jobId, status: "COMPLETED", result: { item_count: 1 } });
      const signature = String(call!.headers["x-aurastream-signature"]);
      expect(verifyWebhook(LOCAL_WEBHOOK_SECRET, call!.body, signature, Math.floor(Date.now() / 1000))).toBe(true);
      expect(verifyWebhook("another-key", call!.body, signature, Math.floor(Date.now() / 1000))).toBe(false);
      expect(verifyWebhook(LOCAL_WEBHOOK_SECRET, call!.body + " ", signature, Math.floor(Date.now() / 1000))).toBe(false);
    } finally {
      server.close();
    }
  });

  it("refuse callbacks to private or metadata addresses outside local dev", async () => {
    const strict = { ...as("webhook"), allowLoopbackCallbacks: false };
    for (const url of ["http://127.0.0.1:9/x", "https://169.254.169.254/latest", "https://10.0.0.8/hook", "http://example.com/hook"]) {
      const { jobId } = await submit("text", "ok", { language_code: "en", callback_url: url });
      await expect(deliverWebhook(strict, { job_id: jobId })).rejects.toThrow(/callback_url/);
    }
  });

  it("connect a webhook only to an address it checked: one resolution, every address judged", async () => {
    let requests = 0;
    const server = createServer((req, res) => (requests++, req.resume(), res.writeHead(204).end()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const resolved: string[] = [];
    const resolving = (...addresses: string[]) => async (hostname: string) => (resolved.push(hostname), addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })));
    try {
      // A public-looking name whose DNS answer is this machine (or a private network): refused before connecting.
      const { jobId } = await submit("text", "ok", { language_code: "en", callback_url: `https://hooks.example.test:${port}/hook` });
      await expect(deliverWebhook({ ...as("webhook"), allowLoopbackCallbacks: false, resolveHost: resolving("127.0.0.1") }, { job_id: jobId })).rejects.toThrow("callback_url resolves to this machine");
      await expect(deliverWebhook({ ...as("webhook"), allowLoopbackCallbacks: false, resolveHost: resolving("93.184.215.14", "::ffff:a9fe:a9fe") }, { job_id: jobId })).rejects.toThrow("callback_url resolves to a private address");
      expect(requests).toBe(0);
      // The connection goes where the checked answer says, not to a second resolution of its own.
      resolved.length = 0;
      const local = await submit("text", "ok", { language_code: "en", callback_url: `http://localhost:${port}/hook` });
      expect(await deliverWebhook({ ...as("webhook"), resolveHost: resolving("127.0.0.1") }, { job_id: local.jobId })).toEqual({ delivered: true, status: 204 });
      expect(resolved).toEqual(["localhost"]);
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });
});
