/**
 * `npm run bench:sync`: the bundled Worker under Miniflare (workerd, not wrangler dev) against
 * the local AWS endpoint as strict as AWS: IAM from the stack (the Worker signs as its own user)
 * and Comprehend throttling at the default rates (DetectSentiment 20 requests/s), with a fixed
 * 100 ms Comprehend latency. autocannon, 10 connections: a trivial route (GET /) as the baseline
 * of the same run and the cache-hit path at full speed; the cache-miss path at two offered loads
 * (under and over Comprehend's rate), with the throttled calls (retries spent) counted. Then
 * requests drawn with a Zipf law from the real texts of ../shared/datasets/sentiment/, at an
 * offered rate: hit rate, failures and Comprehend units saved.
 */
import autocannon from "autocannon";
import { startLocalAws } from "../../aws-backend/local/server.ts";
import { billingUnits } from "../../shared/comprehend.ts";
import { seededRandom, shuffle } from "../../shared/random.ts";
import { startMiniflareWorker } from "../miniflare-worker.ts";
import { SENTIMENT_FILES, readLangid, readSentimentFile } from "../datasets.ts";

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 10;
const COMPREHEND_LATENCY_MS = 100;
const ZIPF_REQUESTS = Number(process.env.BENCH_ZIPF_REQUESTS ?? 4_000);
const ZIPF_RATE = 40;
const ZIPF_RUNS = Number(process.env.BENCH_ZIPF_RUNS ?? 3);
const ZIPF_EXPONENT = 1.0;
/** Tenants the per-tenant cache comparison spreads the Zipf sequence over. */
const TENANTS = 10;
/** Offered cache-miss loads: under Comprehend's 20 DetectSentiment calls a second, and twice it. */
const MISS_RATES = [15, 40];

const endpoint = await startLocalAws({ port: 0 });
for (const operation of ["DetectSentiment", "BatchDetectSentiment", "DetectDominantLanguage", "BatchDetectDominantLanguage"]) {
  endpoint.faults.add({ operation, kind: "latency", latencyMs: COMPREHEND_LATENCY_MS, status: 500 });
}

const worker = await startMiniflareWorker(endpoint.url);
const url = worker.url;
const newKey = () => worker.newKey("premium");

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function cannon(options: Partial<autocannon.Options> & { requests?: autocannon.Request[] }): Promise<Figures> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, ...options } as autocannon.Options);
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: non2xx };
}

const json = (key: string) => ({ "content-type": "application/json", authorization: `Bearer ${key}` });
const row = (name: string, f: Figures) =>
  `${name.padEnd(22)} ${f.rps.toFixed(0).padStart(7)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   non-2xx ${f.errors}`;

console.log(`Worker under Miniflare ${url}; Comprehend latency ${COMPREHEND_LATENCY_MS} ms; ${CONNECTIONS} connections, ${DURATION_S} s each\n`);

// Warm the isolate, then the baseline.
await fetch(`${url}/`);
const trivial = await cannon({ requests: [{ method: "GET", path: "/" }] });
console.log(row("trivial GET /", trivial));

const hitKey = await newKey();
const hitBody = JSON.stringify({ text: "The new dashboard is fast and easy to use", options: { language_code: "en" } });
await fetch(`${url}/v1/analyze/sync`, { method: "POST", headers: json(hitKey), body: hitBody });
const hit = await cannon({ requests: [{ method: "POST", path: "/v1/analyze/sync", headers: json(hitKey), body: hitBody }] });
console.log(row("cache hit", hit));

const throttledCalls = () => endpoint.comprehend.throttled.get("DetectSentiment") ?? 0;
let n = 0;
const misses: Figures[] = [];
for (const rate of MISS_RATES) {
  const missKey = await newKey();
  const throttledBefore = throttledCalls();
  const miss = await cannon({
    overallRate: rate,
    // Latencies as measured: autocannon's coordinated-omission correction would add synthetic ones.
    ignoreCoordinatedOmission: true,
    requests: [
      {
        method: "POST",
        path: "/v1/analyze/sync",
        headers: json(missKey),
        // A new text every time: every request is a miss (language given: one Comprehend call).
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ text: `Order ${++n} arrived quickly and works well`, options: { language_code: "en" } }) }),
      },
    ],
  });
  misses.push(miss);
  console.log(`${row(`cache miss @ ${rate}/s`, miss)}   throttled calls retried or failed ${throttledCalls() - throttledBefore}`);
}
const miss = misses[0]!;

// Misses with no language_code, on real sentences in 11 languages (lingua's test data): the
// language is chosen for each, and every Comprehend unit the endpoint billed is counted.
const sentences = shuffled(readLangid().filter((r) => r.kind === "sentences").map((r) => r.text), seededRandom(20261201));
const unitsBefore = endpoint.usage.snapshot().comprehend.units;
let s = 0;
let answered = 0;
const noLanguageKey = await newKey();
const noLanguage = await cannon({
  overallRate: MISS_RATES[0],
  ignoreCoordinatedOmission: true,
  requests: [
    {
      method: "POST",
      path: "/v1/analyze/sync",
      headers: json(noLanguageKey),
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ text: sentences[s++ % sentences.length] }) }),
      onResponse: (status) => {
        if (status === 200) answered++;
      },
    },
  ],
});
const unitsPerMiss = (endpoint.usage.snapshot().comprehend.units - unitsBefore) / Math.max(1, answered);
console.log(`${row(`miss, no language @ ${MISS_RATES[0]}/s`, noLanguage)}   Comprehend units per miss ${unitsPerMiss.toFixed(2)}`);


console.log(`\ncache hit / trivial throughput: ${((hit.rps / trivial.rps) * 100).toFixed(0)}%   (target >= 50%)`);
console.log(`cache miss @ ${MISS_RATES[0]}/s p50 - ${COMPREHEND_LATENCY_MS} ms: ${miss.p50 - COMPREHEND_LATENCY_MS} ms   (target <= 10 ms)`);
console.log(`miss without language_code: p50 ${noLanguage.p50} ms, ${unitsPerMiss.toFixed(2)} units per miss   (one Comprehend call: the sentiment's units only)`);
console.log(`cache miss p99: ${misses.map((m, i) => `${m.p99} ms @ ${MISS_RATES[i]}/s`).join(", ")}   (target < 1,000 ms)`);

// Zipf replay over real feedback texts, without the injected latency (it changes no hit) and
// without language_code (as most clients send): several runs, each over its own texts (a run's
// suffix keeps the previous runs' cache entries from serving it), failures counted per run.
endpoint.faults.clear();
const texts = [...new Set(SENTIMENT_FILES.flatMap((f) => readSentimentFile(f).map((r) => r.text.trim())).filter(Boolean))];
const random = seededRandom(20261122);
shuffle(texts, random);
const draw = zipfSampler(texts.length, ZIPF_EXPONENT, random);
const sequence = Array.from({ length: ZIPF_REQUESTS }, () => texts[draw()]!).filter((t) => [...t].length <= 4_990);
/** One replay of the sequence, each request from one of `keys` (drawn at random), its texts marked by `suffix`. */
async function zipfReplay(suffix: string, keys: string[]) {
  const before = endpoint.usage.snapshot().comprehend.units;
  const throttledBefore = throttledCalls();
  const pick = seededRandom(20261204);
  const keyOf = sequence.map(() => keys[Math.floor(pick() * keys.length)]!);
  let hits = 0;
  let failures = 0;
  let fallbacks = 0;
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < sequence.length) {
        const i = next++;
        // Offered at ZIPF_RATE requests a second: request i leaves at i / rate seconds.
        const wait = started + (i * 1000) / ZIPF_RATE - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const text = sequence[i]! + suffix;
        const res = await fetch(`${url}/v1/analyze/sync`, { method: "POST", headers: json(keyOf[i]!), body: JSON.stringify({ text }) });
        const body = (await res.json()) as { cached?: boolean; engine?: string };
        if (!res.ok) failures++;
        else if (body.cached) hits++;
        else if (body.engine === "embedded") fallbacks++;
      }
    }),
  );
  const billed = endpoint.usage.snapshot().comprehend.units - before;
  const withoutCache = sequence.reduce((sum, t) => sum + billingUnits(t + suffix), 0);
  return { hitRate: (hits / sequence.length) * 100, failures, fallbacks, throttled: throttledCalls() - throttledBefore, billed, withoutCache, seconds: (Date.now() - started) / 1000 };
}

const zipfFailures: number[] = [];
for (let run = 1; run <= ZIPF_RUNS; run++) {
  const suffix = run === 1 ? "" : ` (${run})`;
  const r = await zipfReplay(suffix, [await newKey()]);
  zipfFailures.push(r.failures);
  console.log(
    `\nZipf replay ${run}/${ZIPF_RUNS} (s = ${ZIPF_EXPONENT}, no language_code) of ${sequence.length} requests offered at ${ZIPF_RATE}/s over ${texts.length} distinct texts from ${SENTIMENT_FILES.join(", ")}` +
      ` in ${r.seconds.toFixed(1)} s:\n  hit rate ${r.hitRate.toFixed(1)}%, failures ${r.failures}, embedded-engine answers ${r.fallbacks}, throttled calls ${r.throttled}` +
      `\n  Comprehend units billed ${r.billed} vs ${r.withoutCache} without the cache: ${r.withoutCache - r.billed} saved (${(((r.withoutCache - r.billed) / r.withoutCache) * 100).toFixed(1)}%)`,
  );
}
console.log(`Zipf failures per run: ${zipfFailures.join(", ")}   (target 0 in every run)`);

// What scoping the cache per tenant costs: the same sequence spread over TENANTS tenants, each
// with its own cache, then over as many tenants that opted into the shared pool.
const scopedKeys = await Promise.all(Array.from({ length: TENANTS }, (_, t) => worker.newKey("premium", { tenant: `bench-scoped-${t}` })));
const sharingKeys = await Promise.all(Array.from({ length: TENANTS }, (_, t) => worker.newKey("premium", { tenant: `bench-sharing-${t}`, shareCache: true })));
const scoped = await zipfReplay(" (scoped)", scopedKeys);
const sharing = await zipfReplay(" (sharing)", sharingKeys);
console.log(
  `\nZipf replay over ${TENANTS} tenants (each request's tenant drawn at random): hit rate ${scoped.hitRate.toFixed(1)}% with a cache per tenant (the default), ` +
    `${sharing.hitRate.toFixed(1)}% when all ${TENANTS} opt into sharing; units billed ${scoped.billed} vs ${sharing.billed}; failures ${scoped.failures} and ${sharing.failures}`,
);


// Last (its open circuit would turn the replay's misses into fallbacks): Comprehend down, every
// DetectSentiment a 500, and the edge fallback answering from the embedded engine.
endpoint.faults.add({ operation: "DetectSentiment", kind: "error", status: 500 });
const downKey = await newKey();
let fallbacks = 0;
const down = await cannon({
  overallRate: MISS_RATES[0],
  ignoreCoordinatedOmission: true,
  requests: [
    {
      method: "POST",
      path: "/v1/analyze/sync",
      headers: json(downKey),
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ text: `Order ${++n} arrived quickly and works well`, options: { language_code: "en" } }) }),
      onResponse: (status, body) => {
        if (status === 200 && body.includes('"engine":"embedded"')) fallbacks++;
      },
    },
  ],
});
console.log(`${row(`Comprehend down @ ${MISS_RATES[0]}/s`, down)}   answered by the embedded engine ${fallbacks}`);
console.log(`Comprehend down: p50 ${down.p50} ms, p99 ${down.p99} ms   (target < 1,000 ms)`);

await worker.dispose();
await endpoint.close();

function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  shuffle(copy, random);
  return copy;
}

/** Ranks 0..n-1 with P(k) proportional to 1 / (k+1)^s, by inverse transform on the CDF. */
function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / (k + 1) ** s;
  return () => {
    const u = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
