/**
 * Comprehend's asynchronous sentiment jobs: the local endpoint checked with the AWS SDK's
 * Comprehend client (Start/Describe/List/Stop, statuses, output.tar.gz layout, the 10-job limit,
 * iam:PassRole and the data-access role's reach), then the batch pipeline's async route end to
 * end (a job of tens of thousands of rows through one Comprehend job per language, and a
 * Comprehend job that fails).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DescribeSentimentDetectionJobCommand,
  ListSentimentDetectionJobsCommand,
  StartSentimentDetectionJobCommand,
  StopSentimentDetectionJobCommand,
  type ComprehendClient,
} from "@aws-sdk/client-comprehend";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import { localCredentials } from "../../aws-backend/local/resources.ts";
import { startLocalStack, type LocalStack } from "../../aws-backend/local/stack.ts";
import { COMPREHEND_DATA_ACCESS_ROLE_ARN } from "../../aws-backend/local/step-functions.ts";
import { getJob, listKeys } from "../../aws-backend/lambdas/storage.ts";
import { sentimentOutputLines } from "../../aws-backend/lambdas/work/comprehend-output.ts";
import { processedKeys } from "../../shared/jobs.ts";
import { putJobRow, sdkClients, TEST_COMPREHEND_RATES } from "./local-aws.ts";

let stack: LocalStack;
let admin: ReturnType<typeof sdkClients>;
beforeAll(async () => {
  // Every upload over 1 KiB takes the async route here (AWS default: 5 MiB).
  stack = await startLocalStack({
    port: 0,
    retryIntervalMs: 1,
    waitMs: 50,
    comprehend: { rates: TEST_COMPREHEND_RATES },
    events: { minDelayMs: 0, maxDelayMs: 0, duplicateShare: 0 },
    batch: { asyncMinBytes: 1024 },
  });
  admin = sdkClients(stack.endpoint);
});
afterAll(() => stack.endpoint.close());

const bucket = "aurastream-jobs";
/** Inputs live where the stack's data-access role may read them: under a job's work folder. */
const folder = () => `processed/job_${crypto.randomUUID().replace(/-/g, "")}/work/comprehend`;

async function waitForJob(client: ComprehendClient, JobId: string) {
  for (;;) {
    const { SentimentDetectionJobProperties: job } = await client.send(new DescribeSentimentDetectionJobCommand({ JobId }));
    if (!["SUBMITTED", "IN_PROGRESS", "STOP_REQUESTED"].includes(job!.JobStatus!)) return job!;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const start = (input: string, output: string, extra: Record<string, unknown> = {}) =>
  new StartSentimentDetectionJobCommand({
    InputDataConfig: { S3Uri: `s3://${bucket}/${input}`, InputFormat: "ONE_DOC_PER_LINE" },
    OutputDataConfig: { S3Uri: `s3://${bucket}/${output}` },
    DataAccessRoleArn: COMPREHEND_DATA_ACCESS_ROLE_ARN,
    LanguageCode: "en",
    ...extra,
  });

describe("Comprehend's asynchronous sentiment jobs (local endpoint, AWS SDK client)", () => {
  it("run SUBMITTED -> COMPLETED and write output.tar.gz of File/Line lines, an oversized line as an error line", async () => {
    const dir = folder();
    const text = ["I love this product", "Terrible support, I want a refund", "x".repeat(5_001)].join("\n") + "\n";
    await admin.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${dir}/input/en/part-00000.txt`, Body: text }));
    const started = await admin.comprehend.send(start(`${dir}/input/en/`, `${dir}/output/en/`, { ClientRequestToken: `t-${dir.slice(10, 40)}` }));
    expect(started.JobStatus).toBe("SUBMITTED");
    // The same token answers the same job.
    const again = await admin.comprehend.send(start(`${dir}/input/en/`, `${dir}/output/en/`, { ClientRequestToken: `t-${dir.slice(10, 40)}` }));
    expect(again.JobId).toBe(started.JobId);

    const job = await waitForJob(admin.comprehend, started.JobId!);
    expect(job).toMatchObject({ JobStatus: "COMPLETED", LanguageCode: "en", DataAccessRoleArn: COMPREHEND_DATA_ACCESS_ROLE_ARN });
    expect(job.OutputDataConfig!.S3Uri).toBe(`s3://${bucket}/${dir}/output/en/000000000000-SENTIMENT-${started.JobId}/output/output.tar.gz`);
    const listed = await admin.comprehend.send(new ListSentimentDetectionJobsCommand({ Filter: { JobStatus: "COMPLETED" } }));
    expect(listed.SentimentDetectionJobPropertiesList!.map((j) => j.JobId)).toContain(started.JobId);

    const archive = await admin.s3.send(new GetObjectCommand({ Bucket: bucket, Key: job.OutputDataConfig!.S3Uri!.slice(`s3://${bucket}/`.length) }));
    const lines = [];
    for await (const line of sentimentOutputLines(archive.Body as AsyncIterable<Uint8Array>)) lines.push(line);
    expect(lines.map((l) => [l.File, l.Line, l.Sentiment ?? l.ErrorCode])).toEqual([
      ["part-00000.txt", 0, "POSITIVE"],
      ["part-00000.txt", 1, "NEGATIVE"],
      ["part-00000.txt", 2, "DOCUMENT_SIZE_EXCEEDED"],
    ]);
    expect(Object.keys(lines[0]!.SentimentScore!).sort()).toEqual(["Mixed", "Negative", "Neutral", "Positive"]);
  });

  it("stop a job that has not finished, and refuse to stop one that has", async () => {
    const dir = folder();
    await admin.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${dir}/input/en/part-00000.txt`, Body: "fine\n" }));
    const { JobId } = await admin.comprehend.send(start(`${dir}/input/en/`, `${dir}/output/en/`));
    expect(await admin.comprehend.send(new StopSentimentDetectionJobCommand({ JobId }))).toMatchObject({ JobStatus: "STOP_REQUESTED" });
    expect(await waitForJob(admin.comprehend, JobId!)).toMatchObject({ JobStatus: "STOPPED" });
    await expect(admin.comprehend.send(new StopSentimentDetectionJobCommand({ JobId }))).rejects.toMatchObject({ name: "InvalidRequestException" });
    await expect(admin.comprehend.send(new DescribeSentimentDetectionJobCommand({ JobId: "nope" }))).rejects.toMatchObject({ name: "JobNotFoundException" });
  });

  it("hold an account to 10 active jobs (TooManyRequestsException), as AWS does", async () => {
    const dir = folder();
    await admin.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${dir}/input/en/part-00000.txt`, Body: "fine\n" }));
    await stack.endpoint.comprehendJobs.idle();
    const results = await Promise.allSettled(Array.from({ length: 11 }, () => admin.comprehend.send(start(`${dir}/input/en/`, `${dir}/output/en/`))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { name: "TooManyRequestsException" } });
    await stack.endpoint.comprehendJobs.idle();
  });

  it("need iam:PassRole on the data-access role, and read only what that role may read", async () => {
    // The Worker's user may not start jobs at all.
    const worker = sdkClients(stack.endpoint, localCredentials("worker"));
    await expect(worker.comprehend.send(start("processed/x/", "processed/y/"))).rejects.toMatchObject({ name: "AccessDeniedException" });
    // A role the stack does not have cannot be assumed.
    await expect(admin.comprehend.send(start("processed/x/", "processed/y/", { DataAccessRoleArn: "arn:aws:iam::000000000000:role/nobody" }))).rejects.toMatchObject({
      name: "InvalidRequestException",
    });
    // The role reads job work folders only: an input under uploads/ fails the job.
    await admin.s3.send(new PutObjectCommand({ Bucket: bucket, Key: "uploads/2026/01/01/job_outsideoftherole/input", Body: "secret\n" }));
    const { JobId } = await admin.comprehend.send(start("uploads/2026/01/01/job_outsideoftherole/", `${folder()}/output/en/`));
    expect(await waitForJob(admin.comprehend, JobId!)).toMatchObject({ JobStatus: "FAILED", Message: expect.stringMatching(/^NO_READ_ACCESS_TO_INPUT/) });
  });
});

describe("the batch pipeline's async route", () => {
  it("runs a job of 20,000 rows in two languages through one Comprehend job per language, joined back row by row", async () => {
    const deps = localBatchDeps(stack.endpoint);
    const rows = ["id,text"];
    for (let i = 0; i < 20_000; i++) {
      rows.push(i % 4 === 3 ? `r${i},"Me encanta este producto número ${i}, es excelente"` : `r${i},"Order ${i % 15_000} arrived broken and support never answered"`);
    }
    const { jobId, key } = await putJobRow(deps, "csv", {});
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: rows.join("\n") + "\n" }));
    await stack.idle();

    const job = await getJob(deps, jobId);
    expect(job).toMatchObject({ status: "COMPLETED", batch_count: 2, batches_done: 2, summary: { route: "async", item_count: 20_000, failed_items: 0, languages: { en: 15_000, es: 5_000 } } });
    // 15,000 English rows repeat 11,250 distinct texts (i % 15,000 over the rows not in Spanish); each is billed once.
    expect(job!.summary!.units_billed).toBe(3 * (5_000 + new Set(Array.from({ length: 20_000 }, (_, i) => i).filter((i) => i % 4 !== 3).map((i) => i % 15_000)).size));
    const archives = await listKeys(deps, `processed/${jobId}/work/comprehend/output/`);
    expect(archives.filter((k) => k.endsWith("output.tar.gz"))).toHaveLength(2);

    const results = (await (await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: processedKeys(jobId).results }))).Body!.transformToString()).trim().split("\n");
    expect(results).toHaveLength(20_000);
    const [first, , , fourth] = results.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ id: "r0", line: 2, sentiment: "NEGATIVE", language_code: "en" });
    expect(fourth).toMatchObject({ id: "r3", line: 5, sentiment: "POSITIVE", language_code: "es" });
  });

  it("ends the job FAILED (COMPREHEND_JOB_FAILED) when a Comprehend job fails", async () => {
    stack.endpoint.faults.add({ operation: "StartSentimentDetectionJob", kind: "job-failure", count: 1 });
    const deps = localBatchDeps(stack.endpoint);
    const { jobId, key } = await putJobRow(deps, "jsonl", { language_code: "en" });
    const body = Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: i, text: `Review ${i}: the product is fine` })).join("\n");
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: body }));
    await stack.idle();
    expect(await getJob(deps, jobId)).toMatchObject({ status: "FAILED", error: { code: "COMPREHEND_JOB_FAILED" } });
  });
});
