/**
 * The chaos run (`npm run chaos`; a short one in npm test): jobs of mixed sizes and formats sent
 * through the bundled Worker (workerd under Miniflare) as a careful client sends them (an
 * Idempotency-Key each, retrying 429 / 5xx / dropped connections), while `npm run local-aws`
 * (its own process, state on disk) fails a share of every S3, DynamoDB, SQS and Comprehend call
 * (throttling, 5xx, dropped connections, latency) and is killed and started again mid-run. Each
 * job's results are compared, row by row, with a fault-free run of the same jobs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom } from "../shared/random.ts";
import { readSentimentFile, SENTIMENT_FILES } from "./datasets.ts";
import { freePort, startLocalAwsProcess, type LocalAwsProcess } from "./local-aws-process.ts";
import { startMiniflareWorker, type MiniflareWorker } from "./miniflare-worker.ts";

type JobKind = "items" | "text" | "csv" | "jsonl" | "upload-csv" | "upload-jsonl";
interface JobSpec {
  kind: JobKind;
  rows: { id: string; text: string }[];
}

export interface ChaosOptions {
  jobs: number;
  /** Share of calls to each AWS service that fail or slow down (0.3: 30%). */
  faultRate: number;
  /** Kill and restart the local AWS process once, halfway through the submissions. */
  restart: boolean;
  /** Requests in flight at once. */
  concurrency: number;
  /** How long the accepted jobs have to end after the last submission, faults still on. */
  settleMs: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface ChaosFigures {
  jobs: number;
  accepted: number;
  refused: number;
  completed: number;
  failed: Record<string, number>;
  /** Accepted, but neither COMPLETED nor FAILED when the run ended. */
  lost: number;
  /** Jobs whose one Idempotency-Key got two job ids, or whose results repeat a row. */
  duplicated: number;
  rowsCompared: number;
  /** Rows whose result (sentiment, scores, error) differs from the fault-free run's. */
  differing: number;
  /** FAILED with a code that only a transient fault explains. */
  failedTransient: number;
  faultsInjected: number;
  /** The distinct messages of the FAILED jobs, and the local AWS log's failure lines (what to look at when a figure is not 0). */
  failureNotes: string[];
  restarts: number;
  wallSeconds: number;
}

/** Failure codes a transient fault would explain (mark-failed's): none may appear. */
const TRANSIENT_CODES = new Set(["RETRIES_EXHAUSTED", "COMPREHEND_THROTTLED", "COMPREHEND_ERROR", "PROCESSING_ERROR", "UPLOAD_FAILED", "UPLOAD_DEADLINE_FAILED", "EXECUTION_LOST", "NOT_STARTED"]);

/** Jobs of 1 to ~60 rows (a few of 400), in every format, texts from the kit's sentiment sets. */
export function chaosJobs(count: number, seed = 1): JobSpec[] {
  const random = seededRandom(seed);
  const texts = SENTIMENT_FILES.flatMap((f) => readSentimentFile(f).map((r) => r.text));
  const kinds: JobKind[] = ["items", "text", "csv", "jsonl", "upload-csv", "upload-jsonl"];
  return Array.from({ length: count }, (_, j) => {
    const kind = kinds[j % kinds.length]!;
    const size = kind === "text" ? 1 : j % 50 === 7 ? 400 : 1 + Math.floor(random() * 60);
    return { kind, rows: Array.from({ length: size }, (_, i) => ({ id: `j${j}r${i}`, text: texts[Math.floor(random() * texts.length)]! })) };
  });
}

const csvCell = (v: string) => `"${v.replace(/"/g, '""')}"`;
function payloadOf(spec: JobSpec): { body: string; contentType: string } {
  switch (spec.kind) {
    case "items":
      return { body: JSON.stringify({ items: spec.rows }), contentType: "application/json" };
    case "text":
      return { body: JSON.stringify({ text: spec.rows[0]!.text }), contentType: "application/json" };
    case "csv":
    case "upload-csv":
      return { body: ["id,text", ...spec.rows.map((r) => `${r.id},${csvCell(r.text)}`)].join("\n"), contentType: "text/csv" };
    default:
      return { body: spec.rows.map((r) => JSON.stringify(r)).join("\n"), contentType: "application/x-ndjson" };
  }
}

/** A careful client's call: retried (same request, same Idempotency-Key) on 429, 5xx and dropped connections. */
async function careful(url: string, init: RequestInit, attempts = 8): Promise<Response | null> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const res = await fetch(url, init);
      if (res.status !== 429 && res.status < 500) return res;
      const retryAfter = Number(res.headers.get("retry-after") ?? 0);
      await res.arrayBuffer();
      await sleep(Math.min(10_000, Math.max(retryAfter * 1000, 300 * 2 ** attempt * (0.5 + Math.random()))));
    } catch {
      await sleep(Math.min(10_000, 300 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
  return null;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Submitted {
  index: number;
  jobIds: Set<string>;
  refused?: string;
}

/** Sends one job as a client would; the job ids the API answered with (one, unless something duplicated it). */
async function submit(worker: MiniflareWorker, key: string, spec: JobSpec, index: number, runId: string): Promise<Submitted> {
  const headers = { authorization: `Bearer ${key}`, "idempotency-key": `chaos-${runId}-${index}` };
  const { body, contentType } = payloadOf(spec);
  const out: Submitted = { index, jobIds: new Set() };
  if (spec.kind.startsWith("upload-")) {
    const create = JSON.stringify({ format: spec.kind === "upload-csv" ? "csv" : "jsonl", bytes: Buffer.byteLength(body) });
    const res = await careful(`${worker.url}/v1/jobs`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: create });
    if (!res || res.status !== 201) return { ...out, refused: String(res?.status ?? "no answer") };
    const job = (await res.json()) as { job_id: string; upload: { url: string; headers: Record<string, string> } };
    out.jobIds.add(job.job_id);
    const put = await careful(job.upload.url, { method: "PUT", headers: job.upload.headers, body });
    if (!put || put.status !== 200) out.refused = `upload ${put?.status ?? "no answer"}`;
    return out;
  }
  const res = await careful(`${worker.url}/v1/analyze/async`, { method: "POST", headers: { ...headers, "content-type": contentType }, body });
  if (!res || res.status !== 202) return { ...out, refused: String(res?.status ?? "no answer") };
  out.jobIds.add(((await res.json()) as { job_id: string }).job_id);
  return out;
}

async function pool<T>(items: T[], concurrency: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  }));
}

type RowResult = string;
/** A job's rows as comparable strings (id -> sentiment, scores or error code). */
async function resultsOf(worker: MiniflareWorker, key: string, jobId: string): Promise<{ rows: Map<string, RowResult>; repeated: number } | null> {
  const res = await careful(`${worker.url}/v1/jobs/${jobId}/results`, { headers: { authorization: `Bearer ${key}` } });
  if (!res || res.status !== 200) return null;
  const rows = new Map<string, RowResult>();
  let repeated = 0;
  let line = 0;
  for (const text of (await res.text()).split("\n").filter(Boolean)) {
    const r = JSON.parse(text) as { id?: string; sentiment?: string; scores?: unknown; language_code?: string; error?: { code: string } };
    const id = r.id ?? `line${line}`;
    line++;
    if (rows.has(id)) repeated++;
    rows.set(id, r.error ? `error ${r.error.code}` : `${r.sentiment} ${JSON.stringify(r.scores)} ${r.language_code}`);
  }
  return { rows, repeated };
}

async function statusOf(worker: MiniflareWorker, key: string, jobId: string): Promise<{ status: string; code?: string; message?: string } | null> {
  try {
    const res = await fetch(`${worker.url}/v1/status/${jobId}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.status !== 200) return (await res.arrayBuffer(), null);
    const body = (await res.json()) as { status: string; error?: { code: string; message: string } };
    return { status: body.status, code: body.error?.code, message: body.error?.message };
  } catch {
    return null;
  }
}

async function addFaults(aws: LocalAwsProcess, rate: number): Promise<void> {
  // Per service: throttling, 5xx, dropped connections and latency, `rate` of the calls in all.
  const kinds = [
    { kind: "throttle", probability: rate * 0.35 },
    { kind: "error", probability: rate * 0.35 },
    { kind: "reset", probability: rate * 0.15 },
    { kind: "latency", probability: rate * 0.15, latencyMs: 300 },
  ];
  for (const service of ["s3", "dynamodb", "sqs", "comprehend"]) {
    for (const k of kinds) {
      const res = await fetch(`${aws.url}/_local/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ operation: `${service}:*`, ...k, ...(k.kind === "error" ? { status: 500 } : {}) }) });
      if (res.status !== 201) throw new Error(`fault not set: ${res.status} ${await res.text()}`);
    }
  }
}

async function clearFaults(aws: LocalAwsProcess): Promise<number> {
  const { injected } = await fetch(`${aws.url}/_local/faults`).then((r) => r.json() as Promise<{ injected: number }>).catch(() => ({ injected: 0 }));
  await fetch(`${aws.url}/_local/faults`, { method: "DELETE" }).catch(() => undefined);
  return injected;
}

/** Runs `specs` through a fresh local world; with faults and a restart when asked. */
async function runJobs(specs: JobSpec[], options: ChaosOptions & { faults: boolean }, runId: string) {
  const dataDir = mkdtempSync(join(tmpdir(), "aurastream-chaos-"));
  const port = await freePort();
  let aws = await startLocalAwsProcess(port, dataDir, ["--fresh"]);
  const worker = await startMiniflareWorker(aws.url);
  // Admission is not what this run tests: its jobs all run at once, past a plan's concurrent jobs.
  const key = await worker.newKey("premium", { limits: { concurrent_jobs: 100_000 } });
  let restarts = 0;
  let faultsInjected = 0;
  try {
    if (options.faults) await addFaults(aws, options.faultRate);
    const submitted: Submitted[] = [];
    let restarting: Promise<void> | undefined;
    await pool(specs, options.concurrency, async (spec, i) => {
      if (options.faults && options.restart && i === Math.floor(specs.length / 2) && !restarting) {
        restarting = (async () => {
          faultsInjected += await clearFaults(aws);
          await aws.kill();
          aws = await startLocalAwsProcess(port, dataDir);
          restarts++;
          await addFaults(aws, options.faultRate);
          options.log?.(`[chaos] local AWS killed and restarted after ${i} submissions`);
        })();
      }
      submitted.push(await submit(worker, key, spec, i, runId));
    });
    await restarting;
    options.log?.(`[chaos] ${runId}: ${submitted.filter((s) => !s.refused).length}/${specs.length} accepted; waiting for them to end`);

    const accepted = submitted.filter((s) => !s.refused && s.jobIds.size > 0);
    const ended = new Map<string, { status: string; code?: string; message?: string }>();
    const settleBy = Date.now() + options.settleMs;
    let faultsOn = options.faults;
    for (;;) {
      for (const s of accepted) {
        for (const id of s.jobIds) {
          if (ended.has(id)) continue;
          const st = await statusOf(worker, key, id);
          if (st && (st.status === "COMPLETED" || st.status === "FAILED")) ended.set(id, st);
        }
      }
      const open = accepted.reduce((n, s) => n + [...s.jobIds].filter((id) => !ended.has(id)).length, 0);
      if (open === 0) break;
      // Faults stay on until every job ended or the settle time passed; then the stragglers get a last minute.
      if (Date.now() > settleBy) {
        if (!faultsOn) break;
        faultsOn = false;
        faultsInjected += await clearFaults(aws);
        options.log?.(`[chaos] ${open} job(s) still open after the settle time: faults off, one more minute`);
        await sleep(60_000);
        continue;
      }
      await sleep(2_000);
    }
    if (faultsOn) faultsInjected += await clearFaults(aws);
    const results = new Map<number, Awaited<ReturnType<typeof resultsOf>>>();
    for (const s of accepted) {
      const [id] = [...s.jobIds];
      // A job FAILED for its rows still has them: their reasons say what failed.
      const end = ended.get(id!);
      if (end?.status === "COMPLETED" || end?.code === "TOO_MANY_FAILED_ROWS") results.set(s.index, await resultsOf(worker, key, id!));
    }
    const logLines = aws.output().split("\n").filter((l) => /job_failed|execution failed|child failed|sweep/.test(l)).slice(-30);
    const open = accepted.flatMap((s) => [...s.jobIds]).filter((id) => !ended.has(id));
    const openStates = await Promise.all(open.slice(0, 10).map(async (id) => `${id} ${JSON.stringify(await fetch(`${worker.url}/v1/status/${id}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.json()).catch(() => null))}`));
    return { submitted, accepted, ended, results, restarts, faultsInjected, notes: [...logLines, ...openStates] };
  } finally {
    await worker.dispose();
    await aws.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The row errors in the chaos run's results, by code (a transient code here is a fault that outlasted the retries). */
function rowErrors(results: Map<number, Awaited<ReturnType<typeof resultsOf>>>): string[] {
  const codes = new Map<string, number>();
  for (const r of results.values()) for (const v of r?.rows.values() ?? []) if (v.startsWith("error ")) codes.set(v, (codes.get(v) ?? 0) + 1);
  return [...codes].map(([code, n]) => `rows failed with ${code.slice(6)}: ${n}`);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
  const started = Date.now();
  const specs = chaosJobs(options.jobs, options.seed);
  options.log?.(`[chaos] ${specs.length} jobs, ${specs.reduce((n, s) => n + s.rows.length, 0)} rows: the fault-free run first`);
  const baseline = await runJobs(specs, { ...options, faults: false }, "baseline");
  const chaos = await runJobs(specs, { ...options, faults: true }, "chaos");
  const failed: Record<string, number> = {};
  let completed = 0;
  let lost = 0;
  let duplicated = 0;
  let rowsCompared = 0;
  let differing = 0;
  for (const s of chaos.accepted) {
    if (s.jobIds.size > 1) duplicated++;
    const [id] = [...s.jobIds];
    const end = chaos.ended.get(id!);
    if (!end) {
      lost++;
      continue;
    }
    if (end.status === "FAILED") {
      failed[end.code ?? "?"] = (failed[end.code ?? "?"] ?? 0) + 1;
      continue;
    }
    completed++;
    const mine = chaos.results.get(s.index);
    const theirs = baseline.results.get(s.index);
    if (!mine) {
      lost++;
      continue;
    }
    if (mine.repeated > 0) duplicated++;
    if (!theirs) continue;
    for (const [rowId, result] of theirs.rows) {
      rowsCompared++;
      if (mine.rows.get(rowId) !== result) differing++;
    }
  }
  return {
    jobs: specs.length,
    accepted: chaos.accepted.length,
    refused: chaos.submitted.length - chaos.accepted.length,
    completed,
    failed,
    lost,
    duplicated,
    rowsCompared,
    differing,
    failedTransient: Object.entries(failed).filter(([code]) => TRANSIENT_CODES.has(code)).reduce((n, [, c]) => n + c, 0),
    faultsInjected: chaos.faultsInjected,
    failureNotes: [
      ...new Set([...chaos.ended.values()].filter((e) => e.status === "FAILED").map((e) => `${e.code}: ${e.message}`)),
      ...rowErrors(chaos.results),
      ...chaos.notes,
    ],
    restarts: chaos.restarts,
    wallSeconds: Math.round((Date.now() - started) / 1000),
  };
}
