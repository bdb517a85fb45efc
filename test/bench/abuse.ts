/**
 * `npm run abuse`: the most expensive request of each kind a key may send, sent through the
 * bundled Worker (workerd under Miniflare) to `npm run local-aws` (its own process, the state
 * machine running), and what each cost in Comprehend units (the endpoint's own billing counter,
 * 100 characters a unit, at least 3 a document), then what a key of each tier could spend in an
 * hour at that rate under its request limit. The requests: a 5,000-character text; a batch of
 * 25 of them; an inline job of 10,000 short rows (the row cap); an inline job of 1 MiB of long
 * rows; and `POST /v1/jobs` declaring the largest upload it accepts. Units are the real-time
 * path's spend and the batch path's, so this is the figure a spend limit must bound.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TIER_LIMITS, TIERS } from "../../shared/tiers.ts";
import { freePort, startLocalAwsProcess } from "../local-aws-process.ts";
import { startMiniflareWorker } from "../miniflare-worker.ts";

const USD_PER_UNIT = 0.0001;
const dataDir = mkdtempSync(join(tmpdir(), "aurastream-abuse-"));
const aws = await startLocalAwsProcess(await freePort(), dataDir, ["--fresh"]);
const worker = await startMiniflareWorker(aws.url);
const key = await worker.newKey("free");
const auth = { authorization: `Bearer ${key}` };

const unitsSoFar = async () => ((await (await fetch(`${aws.url}/_local/usage`)).json()) as { comprehend: { units: number } }).comprehend.units;

/** A text of exactly `n` characters, distinct per call (so nothing is cached). */
let serial = 0;
const longText = (n: number) => {
  const head = `Review ${++serial}: the app keeps crashing and support never answers. `;
  return (head + "Slow, buggy, disappointing. ".repeat(Math.ceil(n / 28))).slice(0, n);
};

async function waitForJob(jobId: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const status = (await (await fetch(`${worker.url}/v1/status/${jobId}`, { headers: auth })).json()) as { status: string };
    if (status.status === "COMPLETED" || status.status === "FAILED") return status.status;
    await new Promise((r) => setTimeout(r, 500));
  }
  return "still running";
}

interface Row {
  request: string;
  status: string;
  units: number;
}
const rows: Row[] = [];
async function measure(request: string, send: () => Promise<Response>, job = false): Promise<void> {
  const before = await unitsSoFar();
  const res = await send();
  const body = (await res.json()) as { job_id?: string };
  const outcome = job && body.job_id ? `${res.status}, ${await waitForJob(body.job_id)}` : String(res.status);
  rows.push({ request, status: outcome, units: (await unitsSoFar()) - before });
}

const json = (path: string, body: unknown) => () => fetch(`${worker.url}${path}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });
const file = (path: string, body: string, contentType: string) => () => fetch(`${worker.url}${path}`, { method: "POST", headers: { ...auth, "content-type": contentType }, body });

await measure("POST /v1/analyze/sync, 5,000 characters", json("/v1/analyze/sync", { text: longText(5_000), options: { language_code: "en" } }));
await measure("POST /v1/analyze/batch, 25 x 5,000 characters", json("/v1/analyze/batch", { items: Array.from({ length: 25 }, () => ({ text: longText(5_000) })), options: { language_code: "en" } }));
const shortRows = "id,text\n" + Array.from({ length: 10_000 }, (_, i) => `${i},bad ${i}`).join("\n") + "\n";
await measure(`POST /v1/analyze/async, CSV of 10,000 distinct short rows (${Math.round(shortRows.length / 1024)} KiB)`, file("/v1/analyze/async?language_code=en", shortRows, "text/csv"), true);
const longRows = Array.from({ length: 209 }, () => JSON.stringify({ text: longText(4_990) })).join("\n");
await measure(`POST /v1/analyze/async, JSON lines of 209 rows of 4,990 characters (${Math.round(longRows.length / 1024)} KiB)`, file("/v1/analyze/async?language_code=en", longRows, "application/x-ndjson"), true);
const upload = await (await json("/v1/jobs", { format: "csv", bytes: 5 * 1024 ** 3 })()).json() as { job_id?: string; error?: { code: string } };
const uploadOutcome = upload.job_id ? "201: accepted (upload not sent here)" : `refused: ${upload.error?.code}`;

console.log("\nrequest | status | units | USD");
for (const r of rows) console.log(`${r.request} | ${r.status} | ${r.units.toLocaleString("en")} | ${(r.units * USD_PER_UNIT).toFixed(2)}`);
console.log(`POST /v1/jobs declaring 5 GiB | ${uploadOutcome} | up to ~${Math.round((5 * 1024 ** 3) / 100).toLocaleString("en")} (a character a byte) | up to ${(((5 * 1024 ** 3) / 100) * USD_PER_UNIT).toFixed(0)}`);

const worst = Math.max(...rows.map((r) => r.units));
console.log(`\nAn hour at the most expensive inline request (${worst.toLocaleString("en")} units), under today's request limits only:`);
for (const tier of TIERS) {
  const units = worst * TIER_LIMITS[tier];
  console.log(`  ${tier.padEnd(8)} ${TIER_LIMITS[tier].toLocaleString("en")} requests an hour -> ${units.toLocaleString("en")} units, $${(units * USD_PER_UNIT).toLocaleString("en", { maximumFractionDigits: 0 })}`);
}

await worker.dispose();
await aws.kill();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
