/**
 * `npm run bench:batch`: batch jobs through the local pipeline as strict as AWS (the ASL file in
 * aws-local-stepfunctions with its Distributed Maps run by aws-backend/local/distributed-map.ts,
 * the real handlers, s3rver, dynalite, the embedded Comprehend and its asynchronous jobs, IAM from
 * the stack, Comprehend throttling at the default rates, the ASL's own waits and retries):
 * - a 10,000-row CSV of real review texts (drawn with replacement, so some repeat): the fast route;
 * - a 1 MiB text (one item cut into parts);
 * - CSVs of 100,000 and 1,000,000 rows, each row two short dataset sentences joined (nearly every
 *   row distinct; about 100 MB at 1M), uploaded through a presigned PUT URL as a client would:
 *   the async route (Comprehend sentiment jobs).
 * Prints each job's outcome, wall time, rows/s, units billed against rows x 3, the upload's time,
 * the process's peak RSS and heap during the job, and each heavy handler's (plan-upload, prepare, aggregate-part, aggregate)
 * peak live heap growth run again alone on the same job. `-- --quick` runs the first two only;
 * `-- --rows 100000` runs only one large CSV of that size.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ComprehendClient, ListSentimentDetectionJobsCommand } from "@aws-sdk/client-comprehend";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { startLocalStack } from "../../aws-backend/local/stack.ts";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import { localCredentials } from "../../aws-backend/local/resources.ts";
import { prepare, type PartWork } from "../../aws-backend/lambdas/prepare.ts";
import { planUpload } from "../../aws-backend/lambdas/plan-upload.ts";
import { workKeys, type AggregatePartWork } from "../../aws-backend/lambdas/work/layout.ts";
import { PART_LIMITS, planParts } from "../../aws-backend/lambdas/work/upload-parts.ts";
import { aggregate } from "../../aws-backend/lambdas/aggregate.ts";
import { aggregatePart } from "../../aws-backend/lambdas/aggregate-part.ts";
import { getJob, readJson } from "../../aws-backend/lambdas/storage.ts";
import { billingUnits } from "../../shared/comprehend.ts";
import { seededRandom } from "../../shared/random.ts";
import { JOB_FORMATS, jobPk, type JobFormat } from "../../shared/jobs.ts";
import { S3Client as WorkerS3 } from "../../worker/aws/s3.ts";
import { putJobRow } from "../backend/local-aws.ts";
import { SENTIMENT_FILES, readSentimentFile } from "../datasets.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const rowsArg = args.indexOf("--rows");
const LARGE = rowsArg >= 0 ? [Number(args[rowsArg + 1])] : quick ? [] : [100_000, 1_000_000];

const stack = await startLocalStack({ port: 0, log: (l) => process.env.BENCH_VERBOSE && console.error(l) });
const { endpoint } = stack;
const deps = localBatchDeps(endpoint);
const admin = new ComprehendClient({ endpoint: endpoint.url, region: endpoint.region, credentials: endpoint.credentials });

const texts = [...new Set(SENTIMENT_FILES.flatMap((f) => readSentimentFile(f).map((r) => r.text.trim())).filter(Boolean))];
const random = seededRandom(20261122);
const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
const csvField = (t: string) => (/[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t);

// The aggregate Lambda's metric lines (CloudWatch embedded metric format) are not figures here.
const print = console.log.bind(console);
console.log = (...args: unknown[]) => {
  if (!(typeof args[0] === "string" && args[0].startsWith('{"_aws"'))) print(...args);
};
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/**
 * Peak RSS and peak live heap of this process (endpoint, runner and handlers together) while
 * `run` runs. The heap is read right after a forced full GC every second: what is held, not the
 * garbage V8 has not collected yet (which would make any streaming code look like it grows).
 */
async function sampled<T>(run: () => Promise<T>, liveHeap = true): Promise<{ value: T; seconds: number; peakRss: number; peakHeap: number; baseHeap: number }> {
  global.gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
  const timer = setInterval(() => {
    if (!liveHeap) return;
    global.gc?.();
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 1000);
  const t = performance.now();
  const value = await run();
  clearInterval(timer);
  clearInterval(rssTimer);
  return { value, seconds: (performance.now() - t) / 1000, peakRss: Math.max(peakRss, process.memoryUsage().rss), peakHeap, baseHeap: base.heapUsed };
}

/** A payload: a string, or a file streamed to the upload (the bench holds no 100 MB string). */
type Payload = string | { file: string; bytes: number };

async function runJob(name: string, format: JobFormat, payload: Payload, options: { units?: { rows: number; withoutDedup: number }; presigned?: boolean } = {}) {
  const { jobId, key } = await putJobRow(deps, format, format === "text" ? { language_code: "en" } : {}, "bench");
  const unitsBefore = endpoint.usage.snapshot().comprehend.units;
  const throttledBefore = endpoint.comprehend.throttled.get("BatchDetectSentiment") ?? 0;
  const bytes = typeof payload === "string" ? Buffer.byteLength(payload) : payload.bytes;
  const body = () => (typeof payload === "string" ? payload : (Readable.toWeb(createReadStream(payload.file)) as ReadableStream));
  let uploadSeconds: number | undefined;
  const job = await sampled(async () => {
    if (options.presigned) {
      // As a client does after POST /v1/jobs: the Worker's presigned PUT, the exact length signed.
      const worker = new WorkerS3({ credentials: localCredentials("worker"), region: endpoint.region, endpoint: endpoint.url, bucket: deps.bucket, retry: { maxAttempts: 1, attemptTimeoutMs: 5_000, baseDelayMs: 0, maxDelayMs: 0, minAttemptMs: 0 } }); // presigns only
      const headers = { "content-type": JOB_FORMATS[format], "content-length": String(bytes) };
      const url = await worker.presignPut(key, headers, 900);
      const t = performance.now();
      const res = await fetch(url, { method: "PUT", headers, body: body(), duplex: "half" } as RequestInit);
      uploadSeconds = (performance.now() - t) / 1000;
      if (res.status !== 200) throw new Error(`presigned upload: ${res.status} ${await res.text()}`);
    } else {
      await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: typeof payload === "string" ? payload : createReadStream(payload.file), ContentLength: bytes }));
    }
    await stack.idle();
    return getJob(deps, jobId);
  }, false);
  const row = job.value;
  const items = row?.summary?.item_count ?? 0;
  const billed = endpoint.usage.snapshot().comprehend.units - unitsBefore;
  const throttled = (endpoint.comprehend.throttled.get("BatchDetectSentiment") ?? 0) - throttledBefore;
  const count = (key: string) => readJson<unknown[]>(deps, key).then((list) => list.length, () => 0);
  const [comprehendJobs, batchFiles] = [await count(workKeys(jobId).comprehendJobsManifest), await count(workKeys(jobId).batchesManifest)];
  console.log(
    `\n${name} (${mib(bytes)}): ${row?.status} in ${job.seconds.toFixed(1)} s, ${items} rows (${(items / job.seconds).toFixed(0)} rows/s), route ${row?.summary?.route}, ${row?.part_count} part(s), ${comprehendJobs} Comprehend jobs and ${batchFiles} batch files, ${throttled} throttled calls retried`,
  );
  if (uploadSeconds !== undefined) console.log(`  presigned PUT upload: ${uploadSeconds.toFixed(2)} s (${(bytes / 2 ** 20 / uploadSeconds).toFixed(0)} MiB/s)`);
  if (row?.status === "FAILED") console.log(`  error: ${JSON.stringify(row.error)}`);
  const units = options.units;
  if (units) {
    const { rows, withoutDedup } = units;
    console.log(`  Comprehend units billed ${billed} (rows x 3 = ${rows * 3}; without de-duplication ${withoutDedup}: ${(((withoutDedup - billed) / withoutDedup) * 100).toFixed(1)}% saved)`);
  } else {
    console.log(`  Comprehend units billed ${billed}`);
  }
  console.log(`  whole job, one process (endpoint + runner + handlers): peak RSS ${mib(job.peakRss)}`);
  if (row?.error?.code === "COMPREHEND_JOB_FAILED") {
    const { SentimentDetectionJobPropertiesList: jobs = [] } = await admin.send(new ListSentimentDetectionJobsCommand({ Filter: { JobStatus: "FAILED" } }));
    for (const j of jobs) console.log(`  Comprehend job ${j.JobName}: ${j.Message}`);
  }

  // Each heavy handler alone on the same job: plan-upload takes a job once, so let it take this one again.
  await deps.dynamo.send(new UpdateCommand({ TableName: deps.table, Key: { pk: jobPk(jobId) }, UpdateExpression: "REMOVE prepared_at SET #s = :p", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":p": "PENDING" } }));
  for (const [handler, run] of [
    ["plan-upload", () => planUpload(localBatchDeps(endpoint, "plan-upload"), { bucket: deps.bucket, key })],
    // One part: on AWS each part is a Lambda of its own, side by side.
    ["prepare (its first part)", async () => prepare(localBatchDeps(endpoint, "prepare"), (await readJson<PartWork[]>(deps, workKeys(jobId).partsPlan))[0]!)],
    // One part again, as on AWS; then the job's finish, which joins the parts' results inside S3.
    ["aggregate-part (its first part)", async () => aggregatePart(localBatchDeps(endpoint, "aggregate-part"), (await readJson<AggregatePartWork[]>(deps, workKeys(jobId).aggregateParts))[0]!)],
    ["aggregate (the finish)", () => aggregate(localBatchDeps(endpoint, "aggregate"), { job_id: jobId }).catch((e: Error) => e.name)],
  ] as const) {
    const alone = await sampled(run as () => Promise<unknown>);
    console.log(`  ${handler} alone (timed with the GC sampling): ${alone.seconds.toFixed(1)} s, live heap +${mib(alone.peakHeap - alone.baseHeap)} at peak (process RSS ${mib(alone.peakRss)})`);
  }
}

console.log(`local pipeline (MaxConcurrency ${deps.maxConcurrency}, async route above ${mib(deps.asyncMinBytes)}); ${texts.length} distinct dataset texts`);
const reviews = Array.from({ length: 10_000 }, () => pick(texts));
if (rowsArg < 0) await runJob(`CSV, ${reviews.length} rows of ${new Set(reviews).size} distinct texts`, "csv", "id,text\n" + reviews.map((t, i) => `r${i + 1},${csvField(t)}`).join("\n") + "\n", {
  units: { rows: reviews.length, withoutDedup: reviews.reduce((n, t) => n + billingUnits(t), 0) },
});

let document = "";
for (let i = 0; document.length < 1024 * 1024; i++) document += texts[i % texts.length]! + " ";
if (rowsArg < 0) await runJob("1 MiB text", "text", document.slice(0, 1024 * 1024));

// Short sentences, two to a row: nearly every row distinct, about 100 bytes a row.
const sentences = [...new Set(texts.flatMap((t) => t.split(/(?<=[.!?])\s+/)).map((s) => s.trim()).filter((s) => s.length >= 15 && s.length <= 60))];
const dir = await mkdtemp(join(tmpdir(), "bench-batch-"));
for (const count of LARGE) {
  const file = join(dir, `rows-${count}.csv`);
  const out = createWriteStream(file);
  out.write("id,text\n");
  let withoutDedup = 0;
  for (let i = 0; i < count; i++) {
    const text = `${pick(sentences)} ${pick(sentences)}`;
    withoutDedup += billingUnits(text);
    if (!out.write(`r${i + 1},${csvField(text)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  const { size } = await stat(file);
  await runJob(`CSV, ${count.toLocaleString("en")} rows, presigned upload`, "csv", { file, bytes: size }, { units: { rows: count, withoutDedup }, presigned: true });
  // plan-upload's scan for row ends alone, the file read from disk: what it costs beside S3's read.
  const t = performance.now();
  const plan = await planParts("csv", createReadStream(file), size, PART_LIMITS);
  const seconds = (performance.now() - t) / 1000;
  console.log(`  plan-upload's row scan alone, from disk: ${seconds.toFixed(1)} s (${(size / 2 ** 20 / seconds).toFixed(0)} MiB/s), ${plan.parts.length} part(s)`);
  await rm(file);
}
await rm(dir, { recursive: true, force: true });
await endpoint.close();
