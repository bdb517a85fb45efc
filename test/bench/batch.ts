/**
 * `npm run bench:batch`: a 10,000-row CSV of real review texts (drawn with replacement from
 * ../shared/datasets/sentiment/, so some repeat, as feedback does) and a 1 MiB text, each through
 * the local pipeline: the ASL file in aws-local-stepfunctions, the real handlers, s3rver,
 * dynalite and the embedded Comprehend, as strict as AWS: IAM from the stack (each Lambda and the
 * state machine sign as their own roles) and Comprehend throttling at the default rates
 * (BatchDetectSentiment 10 requests/s), with the ASL's own retry intervals. Prints each job's
 * outcome, wall time, items/s, throttled calls (retries spent), the peak memory of prepare and
 * aggregate, and Comprehend units billed and saved by de-duplication.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { startLocalStack } from "../../aws-backend/local/stack.ts";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import { prepare } from "../../aws-backend/lambdas/prepare.ts";
import { aggregate } from "../../aws-backend/lambdas/aggregate.ts";
import { getJob } from "../../aws-backend/lambdas/storage.ts";
import { billingUnits } from "../../shared/comprehend.ts";
import { jobPk, type JobFormat } from "../../shared/jobs.ts";
import { putJobRow } from "../backend/local-aws.ts";
import { SENTIMENT_FILES, readSentimentFile } from "../datasets.ts";

const ROWS = 10_000;
const stack = await startLocalStack({ port: 0, log: (l) => process.env.BENCH_VERBOSE && console.error(l) });
const { endpoint } = stack;
const deps = localBatchDeps(endpoint);

const texts = [...new Set(SENTIMENT_FILES.flatMap((f) => readSentimentFile(f).map((r) => r.text.trim())).filter(Boolean))];
let seed = 20261122;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const rows = Array.from({ length: ROWS }, () => texts[Math.floor(random() * texts.length)]!);
const csvField = (t: string) => (/[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t);
const csv = "id,text\n" + rows.map((t, i) => `r${i + 1},${csvField(t)}`).join("\n") + "\n";

let document = "";
for (let i = 0; document.length < 1024 * 1024; i++) document += texts[i % texts.length]! + " ";
document = document.slice(0, 1024 * 1024);

// The aggregate Lambda's metric lines (CloudWatch embedded metric format) are not figures here.
const print = console.log.bind(console);
console.log = (...args: unknown[]) => {
  if (!(typeof args[0] === "string" && args[0].startsWith('{"_aws"'))) print(...args);
};

async function runJob(name: string, format: JobFormat, payload: string, itemsForUnits?: string[]) {
  const { jobId, key } = await putJobRow(deps, format, { language_code: "en" }, "bench");
  const unitsBefore = endpoint.usage.snapshot().comprehend.units;
  const throttledBefore = endpoint.comprehend.throttled.get("BatchDetectSentiment") ?? 0;
  const started = performance.now();
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: payload }));
  await stack.idle();
  const seconds = (performance.now() - started) / 1000;
  const job = await getJob(deps, jobId);
  const billed = endpoint.usage.snapshot().comprehend.units - unitsBefore;
  const throttled = (endpoint.comprehend.throttled.get("BatchDetectSentiment") ?? 0) - throttledBefore;
  console.log(`\n${name}: ${job?.status} in ${seconds.toFixed(1)} s, ${job?.summary?.item_count ?? 0} items (${((job?.summary?.item_count ?? 0) / seconds).toFixed(0)} items/s), ${job?.batch_count} Comprehend batches, ${throttled} throttled calls retried`);
  if (job?.status === "FAILED") console.log(`  error: ${JSON.stringify(job.error)}`);
  if (itemsForUnits) {
    const withoutDedup = itemsForUnits.reduce((n, t) => n + billingUnits(t), 0);
    console.log(`  Comprehend units billed ${billed}; without de-duplication ${withoutDedup}: ${withoutDedup - billed} saved (${(((withoutDedup - billed) / withoutDedup) * 100).toFixed(1)}%)`);
  } else {
    console.log(`  Comprehend units billed ${billed}`);
  }

  // Peak memory of the two heavy handlers, run again on the same job and sampled every 2 ms.
  // prepare takes a job once; let it take this one again.
  await deps.dynamo.send(new UpdateCommand({ TableName: deps.table, Key: { pk: jobPk(jobId) }, UpdateExpression: "REMOVE prepared_at SET #s = :p", ExpressionAttributeNames: { "#s": "status" }, ExpressionAttributeValues: { ":p": "PENDING" } }));
  for (const [handler, run] of [
    ["prepare", () => prepare(localBatchDeps(endpoint, "prepare"), { bucket: deps.bucket, key })],
    ["aggregate", () => aggregate(localBatchDeps(endpoint, "aggregate"), { job_id: jobId })],
  ] as const) {
    global.gc?.();
    const base = process.memoryUsage();
    let peakHeap = base.heapUsed;
    let peakRss = base.rss;
    const timer = setInterval(() => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 2);
    const t = performance.now();
    await run();
    clearInterval(timer);
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
    console.log(
      `  ${handler}: ${((performance.now() - t) / 1000).toFixed(2)} s, heap +${((peakHeap - base.heapUsed) / 2 ** 20).toFixed(0)} MiB at peak (process RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB)`,
    );
  }
}

console.log(`local pipeline (MaxConcurrency ${deps.maxConcurrency}); ${texts.length} distinct dataset texts`);
await runJob(`CSV, ${ROWS} rows of ${new Set(rows).size} distinct texts (${(csv.length / 2 ** 20).toFixed(1)} MiB)`, "csv", csv, rows);
await runJob("1 MiB text", "text", document);
await endpoint.close();
