/**
 * `npm run abuse`: what a key can spend, sent through the bundled Worker (workerd under Miniflare)
 * to `npm run local-aws` (its own process, the state machine running, Comprehend throttled at
 * AWS's default rates with a fixed 100 ms latency as in bench:sync).
 *
 * 1. The most expensive request of each kind, each with a fresh key of each tier, and with a key
 *    whose limits are lifted (`--limit` overrides: the code as it was before spend limits) as the
 *    baseline of the same run: its answer and the Comprehend units it billed (the endpoint's own
 *    counter: 100 characters a unit, at least 3 a document). The requests: a 5,000-character
 *    text; a batch of 25 of them; an inline job of 10,000 short rows (the row cap); an inline job
 *    of 1 MiB of long rows; `POST /v1/jobs` declaring the largest upload S3 takes; and 30 inline
 *    jobs of 500 rows sent at once from one key.
 * 2. An hour at the worst request per tier: requests an hour x its units, bounded by the plan's
 *    units an hour.
 * 3. Fair sharing: another tenant's real-time traffic (sync misses at 10/s, a 5-text batch
 *    every second; fallback off, so only Comprehend's answers count) for 30 s with nothing else
 *    running, then for 30 s while the largest job a free key is admitted runs; p50 / p99, errors,
 *    and Comprehend's throttled calls per operation in each (contention for Comprehend's rates;
 *    the rest of any latency change is the two cores this machine shares between workerd, the
 *    endpoint, the runner and this driver).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withAllowance } from "../../shared/job-units.ts";
import { PLANS, TIERS, type PlanLimits, type Tier } from "../../shared/tiers.ts";
import { freePort, startLocalAwsProcess } from "../local-aws-process.ts";
import { startMiniflareWorker } from "../miniflare-worker.ts";

const USD_PER_UNIT = 0.0001;
const COMPREHEND_LATENCY_MS = 100;
const SHARING_SECONDS = Number(process.env.ABUSE_SHARING_SECONDS ?? 30);
/** The baseline: a free key's request limit, no other limit (the code before spend limits). */
const UNLIMITED: Partial<PlanLimits> = { units_per_hour: 1e12, units_per_day: 1e12, concurrent_jobs: 1e6 };
/** Which parts to run: `costs` (1 and 2), `sharing` (3); both by default. */
const PARTS = (process.env.ABUSE_PARTS ?? "costs,sharing").split(",");

const dataDir = mkdtempSync(join(tmpdir(), "aurastream-abuse-"));
const aws = await startLocalAwsProcess(await freePort(), dataDir, ["--fresh"]);
for (const operation of ["DetectSentiment", "BatchDetectSentiment"]) {
  await fetch(`${aws.url}/_local/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ operation, kind: "latency", latencyMs: COMPREHEND_LATENCY_MS, status: 500 }) });
}
const worker = await startMiniflareWorker(aws.url);

const endpointUsage = async () => (await (await fetch(`${aws.url}/_local/usage`)).json()) as { comprehend: { units: number }; throttled: Record<string, number> };

/** A text of exactly `n` characters, distinct per call (so nothing is cached). */
let serial = 0;
const longText = (n: number) => {
  const head = `Review ${++serial}: the app keeps crashing and support never answers. `;
  return (head + "Slow, buggy, disappointing. ".repeat(Math.ceil(n / 28))).slice(0, n);
};

const headersOf = (key: string, contentType = "application/json") => ({ authorization: `Bearer ${key}`, "content-type": contentType });

async function waitForJob(key: string, jobId: string): Promise<string> {
  for (let i = 0; i < 2_400; i++) {
    const res = await fetch(`${worker.url}/v1/status/${jobId}`, { headers: headersOf(key) });
    if (res.status !== 200) throw new Error(`status of ${jobId}: ${res.status} ${await res.text()}`);
    const status = (await res.json()) as { status: string; error?: { code: string } };
    if (status.status === "COMPLETED") return status.status;
    if (status.status === "FAILED") return `FAILED ${status.error?.code}`;
    await new Promise((r) => setTimeout(r, 500));
  }
  return "still running after 20 min";
}

interface Outcome {
  answer: string;
  units: number;
}

/** Sends a request with a fresh key; its answer (and its job's end) and the units billed meanwhile. */
async function measure(send: (key: string) => Promise<Response[]>, tier: Tier, limits?: Partial<PlanLimits>): Promise<Outcome> {
  const tenant = `abuse-${++serial}`;
  const key = await worker.newKey(tier, { tenant, limits });
  // Jobs are watched with a second key of the tenant, so polling spends none of the measured key's requests.
  const watcher = await worker.newKey("premium", { tenant });
  const before = (await endpointUsage()).comprehend.units;
  const started = performance.now();
  const answers = await send(key);
  const parts: string[] = [];
  const ends: Promise<string>[] = [];
  for (const res of answers) {
    const body = (await res.json()) as { job_id?: string; error?: { code: string; limit?: string } };
    parts.push(body.error ? `${res.status} ${body.error.limit ?? body.error.code}` : String(res.status));
    if (body.job_id && res.status === 202) ends.push(waitForJob(watcher, body.job_id));
  }
  const ended = await Promise.all(ends);
  const counts = (list: string[]) => [...new Set(list)].map((a) => `${list.filter((x) => x === a).length > 1 ? `${list.filter((x) => x === a).length} x ` : ""}${a}`).join(", ");
  const took = ended.length ? ` in ${((performance.now() - started) / 1000).toFixed(0)} s` : "";
  return { answer: counts(parts) + (ended.length ? `; ${counts(ended)}${took}` : ""), units: (await endpointUsage()).comprehend.units - before };
}

const json = (path: string, body: unknown) => (key: string) => fetch(`${worker.url}${path}`, { method: "POST", headers: headersOf(key), body: JSON.stringify(body) });
const file = (path: string, body: string, contentType: string) => (key: string) => fetch(`${worker.url}${path}`, { method: "POST", headers: headersOf(key, contentType), body });
const csvRows = (n: number, tag: string) => "id,text\n" + Array.from({ length: n }, (_, i) => `${i},bad ${tag} ${i}`).join("\n") + "\n";

const requests: { name: string; send: (key: string) => Promise<Response[]> }[] = [
  { name: "sync, 5,000 characters", send: async (key) => [await json("/v1/analyze/sync", { text: longText(5_000), options: { language_code: "en" } })(key)] },
  {
    name: "batch, 25 x 5,000 characters",
    send: async (key) => [await json("/v1/analyze/batch", { items: Array.from({ length: 25 }, () => ({ text: longText(5_000) })), options: { language_code: "en" } })(key)],
  },
  { name: "async CSV, 10,000 short rows (158 KiB)", send: async (key) => [await file("/v1/analyze/async?language_code=en", csvRows(10_000, `r${++serial}`), "text/csv")(key)] },
  {
    name: "async JSON lines, 209 x 4,990 characters (1 MiB)",
    send: async (key) => [await file("/v1/analyze/async?language_code=en", Array.from({ length: 209 }, () => JSON.stringify({ text: longText(4_990) })).join("\n"), "application/x-ndjson")(key)],
  },
  { name: "POST /v1/jobs declaring 5 GiB", send: async (key) => [await json("/v1/jobs", { format: "csv", bytes: 5 * 1024 ** 3 })(key)] },
  {
    name: "30 async jobs at once, 500 rows each",
    send: (key) => Promise.all(Array.from({ length: 30 }, () => file("/v1/analyze/async?language_code=en", csvRows(500, `p${++serial}`), "text/csv")(key))),
  },
];

const columns: { name: string; tier: Tier; limits?: Partial<PlanLimits> }[] = [
  { name: "no spend limits (before)", tier: "free", limits: UNLIMITED },
  ...TIERS.map((tier) => ({ name: tier, tier })),
];

console.log(`Worker under Miniflare ${worker.url}, local AWS ${aws.url} (Comprehend at AWS's rates, ${COMPREHEND_LATENCY_MS} ms latency)\n`);
console.log("Plans: " + TIERS.map((t) => `${t} ${JSON.stringify(PLANS[t])}`).join("; "));
async function costs() {
  console.log(`\nrequest | ${columns.map((c) => c.name).join(" | ")}`);
  const worstUnits = new Map<string, number>();
  for (const request of requests) {
    const cells: string[] = [];
    for (const column of columns) {
      // 5 GiB is not uploaded: the answer to the request is what is measured.
      const outcome = await measure(request.send, column.tier, column.limits);
      cells.push(`${outcome.answer}: ${outcome.units.toLocaleString("en")} units`);
      if (!request.name.startsWith("30 ")) worstUnits.set(column.name, Math.max(worstUnits.get(column.name) ?? 0, outcome.units));
    }
    console.log(`${request.name} | ${cells.join(" | ")}`);
  }
  console.log(`POST /v1/jobs declaring 5 GiB, if admitted: up to ~${Math.round((5 * 1024 ** 3) / 100).toLocaleString("en")} units (a character a byte), $${(((5 * 1024 ** 3) / 100) * USD_PER_UNIT).toFixed(0)}`);

  console.log("\nAn hour at the most expensive request each key could make:");
  for (const column of columns) {
    const worst = worstUnits.get(column.name) ?? 0;
    const plan = { ...PLANS[column.tier], ...column.limits };
    const units = Math.min(worst * plan.requests_per_hour, plan.units_per_hour);
    console.log(`  ${column.name.padEnd(26)} ${worst.toLocaleString("en")} units a request -> ${units.toLocaleString("en")} units an hour, $${(units * USD_PER_UNIT).toLocaleString("en", { maximumFractionDigits: 0 })}`);
  }
}

// ---- Fair sharing ----------------------------------------------------------------------------

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0);

/** Another tenant's real-time traffic for `seconds`: latencies of each route, errors, throttled calls. */
async function realTime(key: string, seconds: number) {
  const throttledBefore = (await endpointUsage()).throttled;
  const sync: number[] = [];
  const batch: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const timed = (into: number[], send: () => Promise<Response>) =>
    inFlight.push(
      (async () => {
        const t = performance.now();
        const res = await send();
        await res.arrayBuffer();
        if (res.status === 200) into.push(performance.now() - t);
        else errors++;
      })(),
    );
  for (let tick = 0; tick < seconds * 10; tick++) {
    timed(sync, json("/v1/analyze/sync", { text: `Real-time message ${++serial}: the agent was helpful`, options: { language_code: "en", fallback: false } }).bind(null, key));
    if (tick % 10 === 0) {
      timed(batch, json("/v1/analyze/batch", { items: Array.from({ length: 5 }, (_, i) => ({ text: `Batch message ${++serial}.${i}: delivery was late` })), options: { language_code: "en", fallback: false } }).bind(null, key));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await Promise.all(inFlight);
  const throttled = (await endpointUsage()).throttled;
  const delta = (op: string) => (throttled[op] ?? 0) - (throttledBefore[op] ?? 0);
  sync.sort((a, b) => a - b);
  batch.sort((a, b) => a - b);
  const f = (ms: number) => `${Math.round(ms)} ms`;
  return `sync p50 ${f(percentile(sync, 50))} p99 ${f(percentile(sync, 99))} (${sync.length} answers); batch p50 ${f(percentile(batch, 50))} p99 ${f(percentile(batch, 99))} (${batch.length}); errors ${errors}; Comprehend throttled DetectSentiment ${delta("DetectSentiment")}, BatchDetectSentiment ${delta("BatchDetectSentiment")}`;
}

async function sharing() {
  console.log(`\nFair sharing: another tenant's real time (sync misses at 10/s, a 5-text batch a second, fallback off), ${SHARING_SECONDS} s each`);
  const other = await worker.newKey("premium", { tenant: "abuse-other-tenant" });
  await fetch(`${worker.url}/`);
  console.log(`  alone:                          ${await realTime(other, SHARING_SECONDS)}`);
  // The largest job a free key is admitted: as many short rows (3 units each) as its hourly units allow, by the estimate's own rule.
  const freeKey = await worker.newKey("free", { tenant: "abuse-free-tenant" });
  let maxRows = Math.floor(PLANS.free.units_per_hour / 3);
  while (withAllowance(3 * maxRows) > PLANS.free.units_per_hour) maxRows--;
  const admitted = await file("/v1/analyze/async?language_code=en", csvRows(maxRows, "fair"), "text/csv")(freeKey);
  const { job_id } = (await admitted.json()) as { job_id?: string };
  console.log(`  a maximal free job: ${maxRows.toLocaleString("en")} rows, ${admitted.status}`);
  const started = performance.now();
  const ended = job_id ? waitForJob(freeKey, job_id).then((s) => `${s} in ${((performance.now() - started) / 1000).toFixed(1)} s`) : Promise.resolve("not admitted");
  console.log(`  while it runs:                  ${await realTime(other, SHARING_SECONDS)}`);
  console.log(`  the free job: ${await ended}`);
}

if (PARTS.includes("costs")) await costs();
if (PARTS.includes("sharing")) await sharing();

await worker.dispose();
await aws.kill();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
