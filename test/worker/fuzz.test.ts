/**
 * Generated requests for every route (fast-check): bodies of any shape, media types, query
 * strings, ids, CSV and JSON-lines files, auth headers and methods. Whatever comes in: never a
 * 5xx, every error in the one error shape, and neither the submitted text nor a PII value in an
 * error, a log line, the result cache or the dead-letter queue. FUZZ_RUNS cases per route
 * (1,000 in `npm test`; `npm run fuzz` runs more); a failure prints its seed and shrunk case.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import fc from "fast-check";
import { ErrorResponse } from "../../shared/schemas.ts";
import { SENTIMENT_LANGUAGES } from "../../shared/comprehend.ts";
import { call, deadLetters, newKey } from "./helpers.ts";

const RUNS = inject("fuzzRuns");
const SEED = inject("fuzzSeed");

/** What a case submitted that must never come back out: a token woven into its texts, PII values. */
interface Secrets {
  values: string[];
}

/** A token no other text holds: if it appears in an error or a log, a text leaked. */
const token = fc.uuid().map((u) => `tok${u.replace(/-/g, "")}`);
const ssn = fc.tuple(fc.integer({ min: 100, max: 665 }), fc.integer({ min: 10, max: 99 }), fc.integer({ min: 1000, max: 9999 })).map(([a, b, c]) => `${a}-${b}-${c}`);
const email = fc.tuple(fc.stringMatching(/^[a-z]{3,10}$/), fc.stringMatching(/^[a-z]{3,8}$/)).map(([user, host]) => `${user}@${host}.example.com`);
const card = fc.constantFrom("4111 1111 1111 1111", "5500 0000 0000 0004", "3782 822463 10005");

/** A text for a `text` field or cell: odd characters, sizes around the limits, and tracked secrets. */
function trackedText(secrets: Secrets): fc.Arbitrary<string> {
  return fc.tuple(fc.string({ maxLength: 40 }), token, fc.option(fc.oneof(ssn.map((v) => `ssn ${v}`), email, card.map((v) => `card ${v}`))), fc.string({ maxLength: 40 })).map(([before, t, pii, after]) => {
    secrets.values.push(t);
    if (pii) secrets.values.push(pii.replace(/^(ssn|card) /, ""));
    return `${before} ${t} ${pii ?? ""} ${after}`;
  });
}

function textOf(secrets: Secrets): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: trackedText(secrets) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 200 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 100 }) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "\n\t", "ok", "👍", "\u0000", "\uFEFF", "a".repeat(5_001), "é".repeat(5_000), "=cmd|' /C calc'!A0") },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}

const language = fc.oneof(fc.constantFrom(...SENTIMENT_LANGUAGES), fc.constantFrom("xx", "EN", "zh-tw", "", "pt-BR"), fc.jsonValue({ maxDepth: 1 }));
const anyValue = fc.jsonValue({ maxDepth: 2 });
const maybe = <T,>(a: fc.Arbitrary<T>) => fc.oneof(a, anyValue);

const syncOptions = fc.record(
  {
    language_code: language,
    default_language: language,
    pii: maybe(fc.constantFrom("redact", "detect", "off")),
    include_confidence: maybe(fc.boolean()),
    fallback: maybe(fc.boolean()),
    sentences: maybe(fc.boolean()),
    targets: maybe(fc.boolean()),
    bogus: anyValue,
  },
  { requiredKeys: [] },
);
const asyncOptions = fc.record(
  {
    language_code: language,
    default_language: language,
    pii: maybe(fc.constantFrom("redact", "detect", "off")),
    callback_url: maybe(fc.constantFrom("https://hooks.invalid/done", "http://127.0.0.1:1/x", "https://[::ffff:7f00:1]/", "javascript:alert(1)", "")),
  },
  { requiredKeys: [] },
);

/** Valid values, so a share of the cases gets past validation to the work itself. */
const valid = {
  syncOptions: fc.record(
    { language_code: fc.constantFrom(...SENTIMENT_LANGUAGES), pii: fc.constantFrom("redact", "detect", "off"), include_confidence: fc.boolean(), fallback: fc.boolean(), sentences: fc.boolean() },
    { requiredKeys: [] },
  ),
  asyncOptions: fc.record({ language_code: fc.constantFrom(...SENTIMENT_LANGUAGES), pii: fc.constantFrom("redact", "detect", "off") }, { requiredKeys: [] }),
  items: (secrets: Secrets, maxLength: number) =>
    fc.array(fc.record({ id: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), text: trackedText(secrets) }, { requiredKeys: ["text"] }), { minLength: 1, maxLength }),
};

/** An object shaped like the route's body, any field possibly of the wrong type, missing or unknown. */
const shaped = (fields: Record<string, fc.Arbitrary<unknown>>) => fc.record({ ...fields, extra: anyValue }, { requiredKeys: [] });

function itemsOf(secrets: Secrets, maxLength: number) {
  return fc.array(fc.oneof({ weight: 5, arbitrary: shaped({ id: maybe(fc.string({ maxLength: 20 })), text: textOf(secrets) }) }, { weight: 1, arbitrary: anyValue }), { maxLength });
}

/** A CSV file: a header (sometimes without a text column), cells with quotes, commas, line breaks. */
function csvOf(secrets: Secrets, maxRows: number) {
  const cell = fc.oneof(textOf(secrets).map(asText), fc.constantFrom('"', '""', ",", "\r\n", "'"));
  const quote = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return fc
    .tuple(fc.constantFrom("id,text", "text", "text,id,extra", "ID,Text", "name,comment", ""), fc.array(fc.tuple(cell, cell), { maxLength: maxRows }), fc.boolean())
    .map(([header, rows, quoted]) => [header, ...rows.map(([a, b]) => (quoted ? `${quote(a)},${quote(b)}` : `${a},${b}`))].join("\n"));
}

function jsonLinesOf(secrets: Secrets, maxLines: number) {
  return fc
    .array(fc.oneof(shaped({ id: maybe(fc.string({ maxLength: 20 })), text: textOf(secrets) }).map((o) => JSON.stringify(o)), fc.string({ maxLength: 30 })), { maxLength: maxLines })
    .map((lines) => lines.join("\n"));
}

const mediaType = fc.constantFrom("application/json", "application/json; charset=utf-8", "text/csv", "application/x-ndjson", "text/plain", "multipart/form-data; boundary=x", "application/json; charset=latin1", "", "*/*");
const accept = fc.option(fc.constantFrom("application/json", "text/csv", "application/x-ndjson", "*/*", "text/html", "application/*;q=0"), { nil: undefined });
const method = (usual: string) => fc.oneof({ weight: 12, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS") });
const queryKey = fc.oneof(fc.constantFrom("language_code", "default_language", "pii", "callback_url", "source_id", "format", "limit", "bogus"), fc.string({ maxLength: 12 }));
const asText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
const query = fc.option(fc.dictionary(queryKey, fc.oneof(language, fc.string({ maxLength: 30 })).map(asText), { maxKeys: 3 }), { nil: undefined });
const jobId = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{32}$/).map((h) => `job_${h}`),
  fc.string({ maxLength: 60 }),
  fc.constantFrom("..%2F..%2Fetc%2Fpasswd", "job_", "%00", "job_" + "f".repeat(500), "null", "<script>"),
);

/** A body as sent, with its media type: mostly the right one for what it is, sometimes any. */
interface Sent {
  body: string | Uint8Array;
  contentType: string;
}
const typed = (arbitrary: fc.Arbitrary<string | Uint8Array>, usual: string): fc.Arbitrary<Sent> =>
  fc.tuple(arbitrary, fc.oneof({ weight: 9, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: mediaType })).map(([body, contentType]) => ({ body, contentType }));

/** JSON of a value (the route's shape, mostly), files, raw text, raw bytes (invalid UTF-8 among them). */
function body(secrets: Secrets, value: fc.Arbitrary<unknown>, files: [fc.Arbitrary<string>, string][] = []): fc.Arbitrary<Sent> {
  return fc.oneof(
    { weight: 8, arbitrary: typed(value.map((v) => JSON.stringify(v) ?? ""), "application/json") },
    ...files.map(([file, type]) => ({ weight: 1, arbitrary: typed(file, type) })),
    { weight: 1, arbitrary: typed(fc.string({ maxLength: 200 }), "application/json") },
    { weight: 1, arbitrary: typed(fc.uint8Array({ maxLength: 200 }), "application/json") },
    { weight: 1, arbitrary: typed(fc.constantFrom("", "{", "[]", "null", '{"text":', "\uFEFF{}"), "application/json") },
  );
}

interface Case {
  method: string;
  path: string;
  query?: Record<string, string>;
  accept?: string;
  idempotencyKey?: string;
  auth: "key" | "none" | "malformed" | "unknown";
  sent?: Sent;
}

interface RouteFuzz {
  name: string;
  cases: (secrets: Secrets) => fc.Arbitrary<Case>;
  /** Whether some generated cases are valid (ids are random, so the job routes only ever find none). */
  reachesSuccess?: false;
}

function requests(usualMethod: string, path: fc.Arbitrary<string>, bodies?: (secrets: Secrets) => fc.Arbitrary<Sent>): (secrets: Secrets) => fc.Arbitrary<Case> {
  return (secrets) =>
    fc.record({
      method: method(usualMethod),
      path,
      query,
      accept,
      idempotencyKey: fc.option(fc.oneof(fc.uuid(), fc.string({ maxLength: 300 })), { nil: undefined }),
      auth: fc.oneof({ weight: 17, arbitrary: fc.constant("key" as const) }, { weight: 1, arbitrary: fc.constantFrom("none" as const, "malformed" as const, "unknown" as const) }),
      sent: bodies ? fc.option(bodies(secrets), { nil: undefined, freq: 10 }) : fc.option(typed(fc.string({ maxLength: 50 }), "application/json"), { nil: undefined, freq: 10 }),
    });
}

const ROUTES: RouteFuzz[] = [
  { name: "GET /", cases: requests("GET", fc.constant("/")) },
  { name: "GET /health", cases: requests("GET", fc.constant("/health")) },
  { name: "GET /health/ready", cases: requests("GET", fc.constant("/health/ready")) },
  { name: "GET /openapi.json", cases: requests("GET", fc.constant("/openapi.json")) },
  { name: "GET /v1/usage", cases: requests("GET", fc.constant("/v1/usage")) },
  {
    name: "POST /v1/analyze/sync",
    cases: requests("POST", fc.constant("/v1/analyze/sync"), (s) =>
      body(s, fc.oneof({ weight: 3, arbitrary: fc.record({ text: trackedText(s), options: valid.syncOptions }, { requiredKeys: ["text"] }) }, { weight: 4, arbitrary: shaped({ text: textOf(s), options: fc.oneof(syncOptions, anyValue) }) }, { weight: 1, arbitrary: anyValue })),
    ),
  },
  {
    name: "POST /v1/analyze",
    cases: requests("POST", fc.constant("/v1/analyze"), (s) =>
      body(s, fc.oneof(fc.record({ text: trackedText(s) }), fc.record({ items: valid.items(s, 5) }), shaped({ text: textOf(s), options: fc.oneof(syncOptions, anyValue) }), shaped({ items: itemsOf(s, 30), options: anyValue }))),
    ),
  },
  {
    name: "POST /v1/analyze/batch",
    cases: requests("POST", fc.constant("/v1/analyze/batch"), (s) =>
      body(s, fc.oneof({ weight: 3, arbitrary: fc.record({ items: valid.items(s, 8), options: valid.syncOptions }, { requiredKeys: ["items"] }) }, { weight: 4, arbitrary: shaped({ items: fc.oneof(itemsOf(s, 30), anyValue), options: fc.oneof(syncOptions, anyValue) }) }, { weight: 1, arbitrary: anyValue })),
    ),
  },
  {
    name: "POST /v1/analyze/async",
    // A share of valid bodies (each a job the local state machine runs), most near misses.
    cases: requests("POST", fc.constant("/v1/analyze/async"), (s) =>
      body(
        s,
        fc.oneof(
          { weight: 1, arbitrary: fc.oneof(fc.record({ text: trackedText(s), options: valid.asyncOptions }, { requiredKeys: ["text"] }), fc.record({ items: valid.items(s, 5) })) },
          { weight: 8, arbitrary: shaped({ text: maybe(textOf(s)), items: fc.oneof(itemsOf(s, 12), anyValue), source_id: anyValue, options: fc.oneof(asyncOptions, anyValue) }) },
        ),
        [
          [csvOf(s, 6), "text/csv"],
          [jsonLinesOf(s, 6), "application/x-ndjson"],
        ],
      ),
    ),
  },
  {
    name: "POST /v1/jobs",
    cases: requests("POST", fc.constant("/v1/jobs"), (s) =>
      body(
        s,
        fc.oneof(
          { weight: 1, arbitrary: fc.record({ format: fc.constantFrom("csv", "jsonl"), bytes: fc.integer({ min: 1, max: 5 * 1024 ** 3 }), source_id: fc.stringMatching(/^[a-z0-9-]{1,40}$/), options: valid.asyncOptions }, { requiredKeys: ["format", "bytes"] }) },
          { weight: 3, arbitrary: shaped({ format: maybe(fc.constantFrom("csv", "jsonl", "json")), bytes: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, 5 * 1024 ** 3 + 1, Number.MAX_SAFE_INTEGER)), source_id: anyValue, options: fc.oneof(asyncOptions, anyValue) }) },
        ),
      ),
    ),
  },
  { name: "GET /v1/status/{job_id}", cases: requests("GET", jobId.map((id) => `/v1/status/${encodeURIComponent(id)}`)), reachesSuccess: false },
  { name: "GET /v1/jobs/{job_id}/results", cases: requests("GET", jobId.map((id) => `/v1/jobs/${encodeURIComponent(id)}/results`)), reachesSuccess: false },
  { name: "any other path", reachesSuccess: false, cases: requests("GET", fc.oneof(fc.webPath(), fc.string({ maxLength: 200 }).map((p) => `/${encodeURIComponent(p)}`), fc.constantFrom("/v1", "/v1/", "//v1/analyze/sync", "/v1/analyze/sync/", "/docs/../v1/usage"))) },
];

let key: string;
let unknownKey: string;
const logged: string[] = [];
const print = console.log.bind(console);
/** Statuses answered per route, printed at the end (the figures of `npm run fuzz`). */
const tally: Record<string, Record<number, { n: number; ms: number }>> = {};
beforeAll(async () => {
  // A plan whose hourly limit the fuzzing cannot reach, so cases are not 429s.
  key = await newKey("premium", "fuzz-tenant");
  unknownKey = `as_${"A".repeat(43)}`;
  for (const level of ["log", "error", "warn", "info", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
  }
});
afterAll(() => {
  vi.restoreAllMocks();
  print(`fuzz: ${RUNS} cases per route; statuses answered:\n${Object.entries(tally).map(([route, statuses]) => `  ${route.padEnd(32)} ${Object.entries(statuses).map(([s, { n, ms }]) => `${s}x${n} (${(ms / n).toFixed(1)} ms)`).join(" ")}`).join("\n")}`);
});

const allSecrets: string[] = [];

async function send(c: Case): Promise<{ status: number; text: string; contentType: string | null }> {
  const search = c.query ? `?${new URLSearchParams(c.query)}` : "";
  const headers: Record<string, string> = {};
  if (c.accept !== undefined) headers.accept = c.accept;
  if (c.idempotencyKey !== undefined) headers["idempotency-key"] = c.idempotencyKey;
  if (c.auth === "malformed") headers.authorization = "Basic Zm9vOmJhcg==";
  const hasBody = c.sent !== undefined && c.method !== "GET" && c.method !== "HEAD";
  const res = await call(`${c.path}${search}`, {
    method: c.method,
    key: c.auth === "key" ? key : c.auth === "unknown" ? unknownKey : null,
    headers,
    ...(hasBody ? { body: c.sent!.body, contentType: c.sent!.contentType } : {}),
  });
  return { status: res.status, text: c.method === "HEAD" ? "" : await res.text(), contentType: res.headers.get("content-type") };
}

describe(`fuzzing every route (${RUNS} generated requests each)`, () => {
  for (const route of ROUTES) {
    it(`${route.name}: never a 5xx, errors in the one shape, nothing submitted echoed or logged`, async () => {
      const statuses: Record<number, { n: number; ms: number }> = (tally[route.name] = {});
      await fc.assert(
        fc.asyncProperty(
          fc.constant(null).chain(() => {
            const secrets: Secrets = { values: [] };
            return route.cases(secrets).map((c) => ({ c, secrets }));
          }),
          async ({ c, secrets }) => {
            const before = logged.length;
            const started = performance.now();
            const res = await send(c);
            const seen = (statuses[res.status] ??= { n: 0, ms: 0 });
            seen.n++;
            seen.ms += performance.now() - started;
            expect(res.status, `${c.method} ${c.path}`).toBeLessThan(500);
            if (res.status >= 400 && c.method !== "HEAD") {
              expect(res.contentType).toMatch(/^application\/json/);
              const parsed = ErrorResponse.safeParse(JSON.parse(res.text));
              expect(parsed.success, res.text.slice(0, 300)).toBe(true);
              for (const value of secrets.values) expect(res.text).not.toContain(value);
            }
            const lines = logged.slice(before).join("\n");
            for (const value of secrets.values) expect(lines).not.toContain(value);
            allSecrets.push(...secrets.values);
          },
        ),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
      // The generators get past validation too (a fuzz that only meets 400s proves little).
      if (route.reachesSuccess !== false) expect(Object.keys(statuses).some((s) => Number(s) < 300)).toBe(true);
    }, 300_000);
  }

  it("left no submitted token or PII value in the result cache or the dead-letter queue", async () => {
    expect(allSecrets.length).toBeGreaterThan(RUNS);
    const secrets = [...new Set(allSecrets)];
    let stored = "";
    for (let cursor: string | undefined, done = false; !done; ) {
      const page: KVNamespaceListResult<unknown, string> = await env.KV.list({ prefix: "result:", cursor });
      for (const entry of page.keys) stored += `${entry.name} ${(await env.KV.get(entry.name)) ?? ""}\n`;
      done = page.list_complete;
      cursor = page.list_complete ? undefined : page.cursor;
    }
    expect(stored.length).toBeGreaterThan(0);
    for (const s of secrets) expect(stored).not.toContain(s);
    // Any dead letter this file caused holds a token: none may carry a PII value.
    const letters = JSON.stringify(await deadLetters("tok", 500));
    for (const s of secrets) if (!s.startsWith("tok")) expect(letters).not.toContain(s);
  });
});
