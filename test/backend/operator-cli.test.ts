/**
 * The operator commands, against real local state: `npm run keys` on a wrangler KV state
 * directory (the one `wrangler dev` would serve), and `npm run dlq -- replay` against the local
 * endpoint's queue and Comprehend, filling that KV.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { resultCacheKey } from "../../shared/pipeline/cache-key.ts";
import { replayDeadLetters } from "../../tools/dlq.ts";
import { WranglerKv } from "../../tools/wrangler-kv.ts";
import { API_KEY_PREFIX, hashKey } from "../../worker/auth/api-keys.ts";
import { sdkClients, startLocalAws, type LocalAws } from "./local-aws.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
let state: string;
beforeAll(() => {
  state = mkdtempSync(join(tmpdir(), "aurastream-kv-"));
});
afterAll(() => rmSync(state, { recursive: true, force: true }));

const keys = (...args: string[]) =>
  execFileSync(process.execPath, ["--import", "tsx", "tools/keys.ts", ...args, "--persist-to", state], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("npm run keys", () => {
  it("creates a key shown once, lists it, revokes it by key id", async () => {
    const created = keys("create", "--tenant", "acme", "--tier", "basic");
    const key = created.match(/^key:\s+(as_\S+)$/m)?.[1];
    const keyId = created.match(/^key_id:\s+([0-9a-f]{12})$/m)?.[1];
    expect(key).toBeDefined();
    expect(keys("list")).toMatch(new RegExp(`^${keyId}\\tacme\\tbasic\\tactive\\t`, "m"));

    const kv = new WranglerKv({ remote: false, persistTo: state });
    const stored = await kv.get(API_KEY_PREFIX + hashKey(key!), "json");
    expect(stored).toMatchObject({ tenant_id: "acme", tier: "basic", status: "active" });
    expect(JSON.stringify(await kv.list(""))).not.toContain(key);

    expect(keys("revoke", "--key-id", keyId!)).toMatch(/revoked/);
    expect(keys("list")).toMatch(new RegExp(`^${keyId}\\tacme\\tbasic\\tdisabled\\t`, "m"));
  });

  it("refuses a bad tier with usage help", () => {
    expect(() => keys("create", "--tenant", "acme", "--tier", "gold")).toThrow(/--tier must be one of free, basic, premium/);
  });
});

describe("npm run dlq -- replay", () => {
  let endpoint: LocalAws;
  beforeAll(async () => {
    endpoint = await startLocalAws({ port: 0 });
  });
  afterAll(() => endpoint.close());

  it("re-analyses each failed event, fills the Worker's cache under the same key, and empties the queue", async () => {
    const { sqs } = sdkClients(endpoint);
    const queueUrl = `${endpoint.url}/000000000000/aurastream-dlq`;
    const text = "The support agent at [EMAIL] was wonderful";
    const cacheKey = resultCacheKey({ scope: "tenant:acme", engineVersion: "test-engine", languageCode: "en", defaultLanguage: "en", pii: "redact", normalisedText: text });
    const event = {
      version: 2,
      request_id: "req-12345678",
      key_id: "0123456789ab",
      tenant_id: "acme",
      route: "/v1/analyze/sync",
      failed_at: new Date().toISOString(),
      item: { index: 0, redacted_text: text, language_code: "en", default_language: "en", cache_scope: "tenant:acme", pii: "redact", cache_key: cacheKey, error: { code: "SERVICE_UNAVAILABLE", type: "ThrottlingException", message: "x" } },
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "not an event" }));
    // One the Worker kept in KV because the queue would not take it.
    const keptText = "The refund took a month, dreadful";
    const keptKey = resultCacheKey({ scope: "tenant:acme", engineVersion: "test-engine", languageCode: "en", defaultLanguage: "en", pii: "redact", normalisedText: keptText });
    const kept = { ...event, request_id: "req-kept", item: { ...event.item, redacted_text: keptText, cache_key: keptKey } };
    const kv = new WranglerKv({ remote: false, persistTo: state });
    await kv.put(`deadletter:${kept.failed_at}:req-kept:0`, JSON.stringify(kept), { expirationTtl: 3_600 });

    const lines: string[] = [];
    const summary = await replayDeadLetters(
      {
        region: endpoint.region,
        endpoint: endpoint.url,
        credentials: endpoint.credentials,
        queueUrl,
        kv: { remote: false, persistTo: state },
        engineVersion: "test-engine",
        cacheTtlSeconds: 3_600,
        max: 10,
      },
      (line) => lines.push(line),
    );
    expect(summary).toEqual({ requeued: 1, received: 3, replayed: 2, cached: 2, failed: 0, malformed: 1 });
    expect(await kv.list("deadletter:")).toEqual([]);
    expect(await kv.get(`result:${keptKey}`, "json")).toMatchObject({ language_code: "en", sentiment: expect.any(String) });
    const cached = await new WranglerKv({ remote: false, persistTo: state }).get(`result:${cacheKey}`, "json");
    expect(cached).toMatchObject({ sentiment: "POSITIVE", language_code: "en" });
    expect(endpoint.usage.receivedTexts().map((t) => t.text)).toContain(text);

    // The malformed message is left for a person to look at; the replayed one is gone.
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    );
    expect(Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible)).toBe(1);
  });
});
