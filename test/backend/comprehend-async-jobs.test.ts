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
import type { LocalStack } from "../../aws-backend/local/stack.ts";
import { COMPREHEND_DATA_ACCESS_ROLE_ARN } from "../../aws-backend/local/step-functions.ts";
import { getJob, listKeys } from "../../aws-backend/lambdas/storage.ts";
import { sentimentOutputLines } from "../../aws-backend/lambdas/work/comprehend-output.ts";
import { processedKeys } from "../../shared/jobs.ts";
import { putJobRow, sdkClients, startBatchTestStack } from "./local-aws.ts";

const JOB_LINES = 4_500;
let stack: LocalStack;
let admin: ReturnType<typeof sdkClients>;
beforeAll(async () => {
  // Every upload over 1 KiB takes the async route here (AWS default: 5 MiB), and a Comprehend job
  // takes at most 4,500 lines (AWS: 1,000,000), on both sides, so a test file reaches the quota.
  stack = await startBatchTestStack(JOB_LINES, { asyncMinBytes: 1024 });
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

  it("end a job FAILED past the input quotas (more lines than a job takes, under 500 bytes), billing nothing, as AWS does", async () => {
    const dir = folder();
    const over = Array.from({ length: JOB_LINES + 1 }, (_, i) => `Review ${i} is fine`).join("\n") + "\n";
    await admin.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${dir}/input/en/part-00000.txt`, Body: over }));
    await admin.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${dir}/input/fr/part-00000.txt`, Body: "C'est nul\n" }));
    const billed = stack.endpoint.usage.snapshot().comprehend.units;
    const tooLong = await admin.comprehend.send(start(`${dir}/input/en/`, `${dir}/output/en/`));
    const tooSmall = await admin.comprehend.send(start(`${dir}/input/fr/`, `${dir}/output/fr/`, { LanguageCode: "fr" }));
    expect(await waitForJob(admin.comprehend, tooLong.JobId!)).toMatchObject({ JobStatus: "FAILED", Message: expect.stringMatching(/^DOCUMENT_COUNT_EXCEEDED: .*4500/) });
    expect(await waitForJob(admin.comprehend, tooSmall.JobId!)).toMatchObject({ JobStatus: "FAILED", Message: expect.stringMatching(/^INPUT_SIZE_TOO_SMALL: .*500 bytes/) });
    expect(await listKeys(localBatchDeps(stack.endpoint), `${dir}/output/`)).toEqual([]);
    expect(stack.endpoint.usage.snapshot().comprehend.units).toBe(billed);
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
  it("cuts each language of a 20,000-row job into Comprehend jobs within the quota, a language or tail too small for a job in batch files, joined back row by row", async () => {
    const deps = localBatchDeps(stack.endpoint);
    const language = (i: number) => (i % 500 === 1 ? "fr" : i % 4 === 3 ? "es" : "en");
    const rows = ["id,text"];
    for (let i = 0; i < 20_000; i++) {
      const text = { es: `Me encanta este producto número ${i}, es excelente`, fr: `Le colis ${i} est arrivé cassé et le service client est vraiment nul`, en: `Order ${i % 15_000} arrived broken and support never answered` }[language(i)];
      rows.push(`r${i},"${text}"`);
    }
    const { jobId, key } = await putJobRow(deps, "csv", {});
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: rows.join("\n") + "\n" }));
    await stack.idle();

    const rowsOf = (lang: string) => Array.from({ length: 20_000 }, (_, i) => i).filter((i) => language(i) === lang);
    // English rows repeat texts (i % 15,000): each distinct text is one document, billed once.
    const english = new Set(rowsOf("en").map((i) => i % 15_000)).size;
    expect(english).toBeGreaterThan(2 * JOB_LINES);
    const job = await getJob(deps, jobId);
    expect(job).toMatchObject({ status: "COMPLETED", summary: { route: "async", item_count: 20_000, failed_items: 0, languages: { en: rowsOf("en").length, es: 5_000, fr: 40 } } });
    expect(job!.summary!.units_billed).toBe(3 * (english + 5_000 + 40));
    // English: 3 jobs of at most 4,500 lines; Spanish: one full job, its 500-document tail in 20 batch
    // files (too small for a job of its own); French: 40 documents, 2 batch files.
    const archives = (await listKeys(deps, `processed/${jobId}/work/comprehend/output/`)).filter((k) => k.endsWith("output.tar.gz"));
    expect(archives.map((k) => k.split("/").slice(5, 7).join("/")).sort()).toEqual(["en/p-00000-job-000", "en/p-00000-job-001", "en/p-00000-job-002", "es/p-00000-job-000"]);
    expect(job).toMatchObject({ batch_count: 4 + 20 + 2, batches_done: 4 + 20 + 2 });

    const results = (await (await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: processedKeys(jobId).results }))).Body!.transformToString()).trim().split("\n").map((l) => JSON.parse(l));
    expect(results).toHaveLength(20_000);
    expect(results[0]).toMatchObject({ id: "r0", line: 2, sentiment: "NEGATIVE", language_code: "en" });
    expect(results[1]).toMatchObject({ id: "r1", line: 3, sentiment: "NEGATIVE", language_code: "fr" });
    expect(results[3]).toMatchObject({ id: "r3", line: 5, sentiment: "POSITIVE", language_code: "es" });
    // The last Spanish rows are the tail analysed in batches; every row has its answer.
    expect(results[19_999]).toMatchObject({ id: "r19999", sentiment: "POSITIVE", language_code: "es" });
    expect(results.filter((r) => !r.sentiment)).toEqual([]);
  });

  it("ends the job FAILED (COMPREHEND_JOB_FAILED) when a Comprehend job fails", async () => {
    stack.endpoint.faults.add({ operation: "StartSentimentDetectionJob", kind: "job-failure", count: 1 });
    const deps = localBatchDeps(stack.endpoint);
    const { jobId, key } = await putJobRow(deps, "jsonl", { language_code: "en" });
    // Enough documents for a Comprehend job (fewer go in batch files).
    const body = Array.from({ length: 1_200 }, (_, i) => JSON.stringify({ id: i, text: `Review ${i}: the product is fine` })).join("\n");
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: body }));
    await stack.idle();
    expect(await getJob(deps, jobId)).toMatchObject({ status: "FAILED", error: { code: "COMPREHEND_JOB_FAILED" } });
  });
});
