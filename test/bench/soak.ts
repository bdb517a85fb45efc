/**
 * `npm run soak`: SOAK_MINUTES (10) of mixed traffic through the bundled Worker (workerd under
 * Miniflare) and `npm run local-aws` (its own process, Comprehend at AWS's default rates):
 * real-time requests at SOAK_RATE a second (texts from the kit's sentiment sets, so hits and
 * misses mix, a tenth without a key or with a bad body), and a batch job every SOAK_JOB_EVERY_S
 * seconds, polled to its end. SOAK_TEXTS limits the distinct texts (a small pool: all hits). Prints throughput, p50 / p99, 5xx count, jobs completed, and each
 * process's resident memory at the start, every minute and at the end, and the Worker isolate's
 * heap after a full collection at the start and the end, outside the traffic: the collection
 * is a heap snapshot, which pauses the isolate and would show in the latencies
 * (SOAK_HEAP_EACH_MINUTE=1 reads it every minute too, to trace a trend at that cost).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom } from "../../shared/random.ts";
import { readSentimentFile, SENTIMENT_FILES } from "../datasets.ts";
import { freePort, startLocalAwsProcess } from "../local-aws-process.ts";
import { startMiniflareWorker } from "../miniflare-worker.ts";
import { connectIsolateHeap } from "./isolate-heap.ts";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const RATE = Number(process.env.SOAK_RATE ?? 40);
const JOB_EVERY_S = Number(process.env.SOAK_JOB_EVERY_S ?? 5);
// How many distinct texts the traffic draws from (all of the kit's by default). A small pool
// turns nearly every request into a cache hit: memory that still grows then is the request
// path's, not the caches filling.
const DISTINCT_TEXTS = Number(process.env.SOAK_TEXTS ?? Infinity);
const HEAP_EACH_MINUTE = process.env.SOAK_HEAP_EACH_MINUTE === "1";

const dataDir = mkdtempSync(join(tmpdir(), "aurastream-soak-"));
const aws = await startLocalAwsProcess(await freePort(), dataDir, ["--fresh"]);
const inspectorPort = await freePort();
const worker = await startMiniflareWorker(aws.url, {}, inspectorPort);
const heap = await connectIsolateHeap(inspectorPort);
const key = await worker.newKey("premium");
const texts = SENTIMENT_FILES.flatMap((f) => readSentimentFile(f).map((r) => r.text)).filter((t) => [...t].length <= 4_900).slice(0, DISTINCT_TEXTS);
const random = seededRandom(20261203);

/** Resident memory (MiB) of a process, from /proc. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
}
/** workerd: the child of this process Miniflare started. */
function workerdPid(): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [, comm, , ppid] = /^\d+ \((.*)\) (\S) (\d+)/.exec(stat) ?? [];
      if (comm === "workerd" && Number(ppid) === process.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
const workerd = workerdPid();
const memory = () => ({ driver: Math.round(process.memoryUsage().rss / 1048576), workerd: workerd ? rssMiB(workerd) : 0, "local-aws": rssMiB(aws.child.pid!) });
const memoryLine = async (label: string, withHeap = false) => {
  const m = memory();
  const heapAfterGc = withHeap ? ` (Worker heap after GC ${await heap.usedMiB()} MiB)` : "";
  return `${label.padEnd(8)} driver ${m.driver} MiB, workerd ${m.workerd} MiB${heapAfterGc}, local-aws ${m["local-aws"]} MiB`;
};
const memoryLog = [await memoryLine("start", true)];
console.log(`soak: ${MINUTES} min, ${RATE} real-time requests/s over ${texts.length} distinct texts, a job every ${JOB_EVERY_S} s\n${memoryLog[0]}`);

const latencies: number[] = [];
const statuses = new Map<number, number>();
let errors = 0;
const jobs = { submitted: 0, completed: 0, failed: 0, refused: 0 };
const end = Date.now() + MINUTES * 60_000;
const inFlight = new Set<Promise<void>>();

async function realTime(): Promise<void> {
  const roll = random();
  const text = texts[Math.floor(random() * texts.length)]!;
  const headers: Record<string, string> = { "content-type": "application/json", ...(roll < 0.05 ? {} : { authorization: `Bearer ${key}` }) };
  const body = roll > 0.95 ? '{"text": 5}' : JSON.stringify({ text });
  const started = performance.now();
  try {
    const res = await fetch(`${worker.url}/v1/analyze/sync`, { method: "POST", headers, body });
    await res.arrayBuffer();
    latencies.push(performance.now() - started);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  } catch {
    errors++;
  }
}

async function batchJob(): Promise<void> {
  const rows = Array.from({ length: 20 + Math.floor(random() * 200) }, (_, i) => `${i},"${texts[Math.floor(random() * texts.length)]!.replace(/"/g, '""')}"`);
  jobs.submitted++;
  const res = await fetch(`${worker.url}/v1/analyze/async`, { method: "POST", headers: { "content-type": "text/csv", authorization: `Bearer ${key}` }, body: `id,text\n${rows.join("\n")}` }).catch(() => null);
  if (!res || res.status !== 202) {
    jobs.refused++;
    return;
  }
  const { job_id } = (await res.json()) as { job_id: string };
  for (let i = 0; i < 300; i++) {
    await new Promise((r) => setTimeout(r, 2_000));
    const st = (await fetch(`${worker.url}/v1/status/${job_id}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.json()).catch(() => null)) as { status?: string } | null;
    if (st?.status === "COMPLETED") return void jobs.completed++;
    if (st?.status === "FAILED") return void jobs.failed++;
  }
}

const track = (p: Promise<void>) => {
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p));
};
const started = Date.now();
let nextMinute = started + 60_000;
let sent = 0;
let nextJob = started;
while (Date.now() < end) {
  // Open-loop: the requests of each 100 ms are sent whatever the previous ones are doing.
  const due = Math.floor(((Date.now() - started) / 1000) * RATE);
  while (sent < due) {
    sent++;
    track(realTime());
  }
  if (Date.now() >= nextJob) {
    nextJob += JOB_EVERY_S * 1000;
    track(batchJob());
  }
  if (Date.now() >= nextMinute) {
    nextMinute += 60_000;
    const line = await memoryLine(`${Math.round((Date.now() - started) / 60_000)} min`, HEAP_EACH_MINUTE);
    memoryLog.push(line);
    console.log(line);
  }
  await new Promise((r) => setTimeout(r, 100));
}
await Promise.all([...inFlight]);
memoryLog.push(await memoryLine("end", true));
heap.close();

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
const fivexx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
const seconds = (Date.now() - started) / 1000;
console.log(`
soak: ${MINUTES} min of traffic
  real time  ${latencies.length} answered (${(latencies.length / seconds).toFixed(1)}/s), p50 ${pct(50)} ms, p99 ${pct(99)} ms; statuses ${[...statuses].sort().map(([s, n]) => `${s} x${n}`).join(", ")}; no answer ${errors}
  5xx        ${fivexx}
  batch      ${jobs.submitted} jobs: ${jobs.completed} COMPLETED, ${jobs.failed} FAILED, ${jobs.refused} refused
  memory (resident)
    ${memoryLog.join("\n    ")}`);
await worker.dispose();
await aws.kill();
rmSync(dataDir, { recursive: true, force: true });
process.exit(fivexx + errors + jobs.failed + jobs.refused === 0 ? 0 : 1);
