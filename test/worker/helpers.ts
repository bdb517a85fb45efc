/**
 * Helpers for worker tests: calling the Worker as a client would, and reading or steering the
 * local AWS endpoint (what Comprehend received, injected faults, the dead-letter queue).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, inject } from "vitest";
import { AwsClient } from "aws4fetch";
import { createApp } from "../../worker/app.ts";
import { createKey, LOCAL_DEV_KEY } from "../../worker/auth/api-keys.ts";
import type { Bindings } from "../../worker/bindings.ts";
import type { PlanLimits, Tier } from "../../shared/tiers.ts";
import { JobStatusResponse } from "../../shared/schemas.ts";

export const DEV_KEY = LOCAL_DEV_KEY;

export interface CallOptions {
  key?: string | null;
  headers?: Record<string, string>;
  method?: string;
  /** An object is sent as JSON; a string or bytes as they are. */
  body?: unknown;
  contentType?: string;
}

export function request(path: string, options: CallOptions = {}): Request {
  const headers = new Headers(options.headers);
  const key = options.key === undefined ? DEV_KEY : options.key;
  if (key !== null) headers.set("authorization", `Bearer ${key}`);
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    const raw = typeof options.body === "string" || options.body instanceof Uint8Array || options.body instanceof ReadableStream;
    body = raw ? (options.body as BodyInit) : JSON.stringify(options.body);
    headers.set("content-type", options.contentType ?? "application/json");
  }
  return new Request(`http://edge${path}`, { method: options.method ?? (body === undefined ? "GET" : "POST"), headers, body });
}

/**
 * Calls the Worker's app, in this isolate, with the real bindings, and waits for its waitUntil
 * work (cache writes, usage, dead letters) so a test sees their effects. One app per test file,
 * so each file starts with a closed breaker. (The harness's `exports.default.fetch` slows down
 * with every call made, so it is kept for tests of the entry module itself.)
 */
export const app = createApp();

export async function call(path: string, options: CallOptions & { env?: Partial<Bindings> } = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(request(path, options), { ...env, ...options.env }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export async function analyze(text: string, options: Record<string, unknown> = {}, call_: CallOptions = {}) {
  const res = await call("/v1/analyze/sync", { body: { text, ...(Object.keys(options).length ? { options } : {}) }, ...call_ });
  return { res, body: (await res.json()) as Record<string, any> };
}

export async function newKey(tier: Tier, tenant = "tenant-" + crypto.randomUUID().slice(0, 8), options: { shareCache?: boolean; limits?: Partial<PlanLimits> } = {}) {
  return (await createKey(env.KV, { tenant, tier, ...options })).key;
}

/** A word no other test uses, to find this test's texts in what the endpoint received. */
export function marker(): string {
  return "zq" + crypto.randomUUID().replace(/-/g, "").slice(0, 12);
}

const endpoint = () => inject("awsEndpoint");

export async function receivedTexts(containing: string): Promise<{ text: string; language?: string }[]> {
  const res = await fetch(`${endpoint()}/_local/comprehend/received`);
  const { texts } = (await res.json()) as { texts: { text: string; language?: string }[] };
  return texts.filter((t) => t.text.includes(containing));
}

export async function addFault(fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${endpoint()}/_local/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(fault) });
  if (res.status !== 201) throw new Error(`fault not set: ${res.status}`);
}

/** A maker of markers for this file's faults; each test's faults are cleared after it (other files run alongside). */
export function faultMarkers(): () => string {
  const markers: string[] = [];
  afterEach(async () => {
    for (const m of markers.splice(0)) await clearFaults(m);
  });
  return () => {
    const m = marker();
    markers.push(m);
    return m;
  };
}

/** Clears the faults this test set with `match` (other test files run alongside). */
export async function clearFaults(match: string): Promise<void> {
  await fetch(`${endpoint()}/_local/faults?match=${encodeURIComponent(match)}`, { method: "DELETE" });
}

export async function activeFaults(match: string): Promise<Record<string, unknown>[]> {
  const { faults } = (await (await fetch(`${endpoint()}/_local/faults`)).json()) as { faults: Record<string, unknown>[] };
  return faults.filter((f) => f.match === match);
}

/** A client signing for `service` with the local endpoint's credentials (to read what the Worker stored). */
export const localAws = (service: string) => new AwsClient({ accessKeyId: "test", secretAccessKey: "test", region: "us-east-1", service, retries: 0 });

/** Reads (and deletes) dead-letter events whose text contains `containing`. */
export async function deadLetters(containing: string, waitMs = 3_000): Promise<Record<string, any>[]> {
  const found: Record<string, any>[] = [];
  const until = Date.now() + waitMs;
  while (Date.now() < until && found.length === 0) {
    const res = await localAws("sqs").fetch(endpoint(), {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ReceiveMessage" },
      body: JSON.stringify({ QueueUrl: env.DLQ_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
    });
    const { Messages = [] } = (await res.json()) as { Messages?: { Body: string; ReceiptHandle: string }[] };
    for (const m of Messages) {
      if (!m.Body.includes(containing)) continue;
      found.push(JSON.parse(m.Body));
      await localAws("sqs").fetch(endpoint(), {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.DeleteMessage" },
        body: JSON.stringify({ QueueUrl: env.DLQ_URL, ReceiptHandle: m.ReceiptHandle }),
      });
    }
    if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  return found;
}

export async function jobStatus(jobId: string, key?: string) {
  return JobStatusResponse.parse(await (await call(`/v1/status/${jobId}`, { key })).json());
}

/** Polls a job's status until it is COMPLETED or FAILED (10 s at most). */
export async function waitForJobEnd(jobId: string, key?: string) {
  for (let i = 0; i < 100; i++) {
    const status = await jobStatus(jobId, key);
    if (status.status === "COMPLETED" || status.status === "FAILED") return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the job did not end in 10 s");
}
