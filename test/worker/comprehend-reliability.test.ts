/**
 * The real-time path when Comprehend misbehaves (faults injected at the local endpoint, scoped
 * to this test's texts): retries on throttling, a deadline, the circuit breaker, and dead letters.
 * These requests opt out of the embedded engine's fallback (edge-fallback.test.ts covers it), so
 * they see the 503 contract.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activeFaults, addFault, call, deadLetters, faultMarkers, receivedTexts } from "./helpers.ts";

const scoped = faultMarkers();

const sync = (text: string, env?: Record<string, string>) =>
  call("/v1/analyze/sync", { body: { text, options: { language_code: "en", fallback: false } }, env });

describe("Comprehend reliability", () => {
  it("retries a throttled call (HTTP 400 ThrottlingException) and answers 200", async () => {
    const m = scoped();
    await addFault({ operation: "DetectSentiment", kind: "throttle", count: 2, match: m });
    const res = await sync(`Really helpful staff ${m}`);
    expect(res.status).toBe(200);
    expect((await res.json<{ sentiment: string }>()).sentiment).toBe("POSITIVE");
    expect(await activeFaults(m)).toHaveLength(0); // both throttles were met, then the third try passed
    expect(await receivedTexts(m)).toHaveLength(1);
  });

  it("retries 5xx too", async () => {
    const m = scoped();
    await addFault({ operation: "DetectSentiment", kind: "error", status: 503, count: 1, match: m });
    expect((await sync(`Works fine ${m}`)).status).toBe(200);
  });

  it("answers 503 with retry_after when throttling outlasts the retries, and dead-letters the redacted event", async () => {
    const m = scoped();
    await addFault({ operation: "DetectSentiment", kind: "throttle", match: m });
    const res = await sync(`Write to jane.doe@example.com about it ${m}`);
    expect(res.status).toBe(503);
    const { error } = await res.json<{ error: { code: string; retry_after: number; message: string } }>();
    expect(error.code).toBe("SERVICE_UNAVAILABLE");
    expect(error.retry_after).toBeGreaterThanOrEqual(1);
    expect(res.headers.get("retry-after")).toBe(String(error.retry_after));

    const [event, ...more] = await deadLetters(m);
    expect(more).toHaveLength(0);
    expect(event).toMatchObject({
      request_id: res.headers.get("x-request-id"),
      key_id: expect.stringMatching(/^[0-9a-f]{12}$/),
      route: "/v1/analyze/sync",
      // The tenant, so that npm run dlq -- replay fills that tenant's cache and no other.
      tenant_id: "local-dev",
      item: { redacted_text: `Write to [EMAIL] about it ${m}`, language_code: "en", cache_scope: "tenant:local-dev", error: { code: "SERVICE_UNAVAILABLE", type: "ThrottlingException" } },
    });
    expect(JSON.stringify(event)).not.toContain("jane.doe");
  });

  it("keeps a dead letter the queue will not take in KV, for npm run dlq -- replay, instead of dropping it", async () => {
    const m = scoped();
    await addFault({ operation: "DetectSentiment", kind: "throttle", match: m });
    await addFault({ operation: "SendMessage", kind: "error", status: 500, match: m });
    expect((await sync(`Nobody answered my ticket ${m}`)).status).toBe(503);
    expect(await deadLetters(m, 500)).toHaveLength(0);
    const { keys } = await env.KV.list({ prefix: "deadletter:" });
    const kept = (await Promise.all(keys.map((k) => env.KV.get(k.name, "json")))) as { request_id: string; item: { redacted_text: string } }[];
    expect(kept.filter((e) => e.item.redacted_text.includes(m))).toMatchObject([{ tenant_id: "local-dev", item: { redacted_text: `Nobody answered my ticket ${m}`, cache_scope: "tenant:local-dev" } }]);
  });

  it("gives up at the deadline when Comprehend is slow, answering 503 instead of waiting", async () => {
    const m = scoped();
    await addFault({ operation: "DetectSentiment", kind: "latency", latencyMs: 3_000, match: m });
    const res = await sync(`Slow answer ${m}`);
    expect(res.status).toBe(503);
    expect((await res.json<{ error: { message: string } }>()).error.message).toMatch(/in time/);
  });

  it("opens the breaker after repeated failures (no more calls), then recovers after the cool-down", async () => {
    const env = { BREAKER_FAILURE_THRESHOLD: "2", BREAKER_COOLDOWN_MS: "800" };
    const failing = scoped();
    const healthy = scoped();
    await addFault({ operation: "DetectSentiment", kind: "error", match: failing });
    expect((await sync(`Broken one ${failing}`, env)).status).toBe(503);
    expect((await sync(`Broken two ${failing}`, env)).status).toBe(503);

    // Open: refused at once, Comprehend not called even for a text that would succeed.
    const refused = await sync(`Fine text ${healthy}`, env);
    expect(refused.status).toBe(503);
    const { error } = await refused.json<{ error: { code: string; retry_after: number } }>();
    expect(error).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    expect(error.retry_after).toBeGreaterThanOrEqual(1);
    expect(await receivedTexts(healthy)).toHaveLength(0);

    // Half-open after the cool-down: one trial call, which succeeds and closes it.
    await new Promise((r) => setTimeout(r, 900));
    expect((await sync(`Fine text ${healthy}`, env)).status).toBe(200);
    expect((await sync(`Another fine text ${healthy}`, env)).status).toBe(200);
  });
});
