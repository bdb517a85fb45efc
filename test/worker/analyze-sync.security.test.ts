/**
 * What must never leak: PII values (to Comprehend, KV, logs), submitted text (error messages,
 * logs, the cache), and API keys (KV, logs).
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { env } from "cloudflare:workers";
import { DEV_KEY, analyze, call, marker, newKey, receivedTexts } from "./helpers.ts";

const EMAIL = "maria.lopez@example.org";
const PHONE = "(415) 555-0132";
const CARD = "4111 1111 1111 1111";

let logs: MockInstance[] = [];
beforeEach(() => {
  logs = [vi.spyOn(console, "log"), vi.spyOn(console, "error"), vi.spyOn(console, "warn")];
});
afterEach(() => logs.forEach((l) => l.mockRestore()));
const logged = () => logs.flatMap((l) => l.mock.calls.map((args) => args.map(String).join(" "))).join("\n");

async function everythingInKv(): Promise<string> {
  const { keys } = await env.KV.list();
  const values = await Promise.all(keys.map((k) => env.KV.get(k.name)));
  return keys.map((k, i) => `${k.name}=${values[i]}`).join("\n");
}

describe("POST /v1/analyze/sync (security)", () => {
  it("never answers one tenant from another tenant's cache; tenants that opted into sharing share one", async () => {
    const text = `Confidential: our merger with Initech closes friday ${marker()}`;
    const [a, b, sharing1, sharing2] = [await newKey("basic"), await newKey("basic"), await newKey("basic", "open-1", { shareCache: true }), await newKey("basic", "open-2", { shareCache: true })];
    const cached = async (key: string, path = "/v1/analyze/sync") => {
      const body = path.endsWith("batch") ? { items: [{ text }], options: { language_code: "en" } } : { text, options: { language_code: "en" } };
      const json = (await (await call(path, { key, body })).json()) as { cached?: boolean; results?: { cached: boolean }[] };
      return json.cached ?? json.results![0]!.cached;
    };
    expect(await cached(a)).toBe(false);
    expect(await cached(a)).toBe(true);
    // Another tenant, through either route, is a miss: nothing tells it that A sent the text.
    expect(await cached(b, "/v1/analyze/batch")).toBe(false);
    expect(await cached(b)).toBe(true);
    expect(await cached(sharing1)).toBe(false);
    expect(await cached(sharing2, "/v1/analyze/batch")).toBe(true);
    expect((await receivedTexts(text)).length).toBe(3);
  });

  it("redacts PII by default: flagged with types and counts, values never sent to Comprehend, KV or logs", async () => {
    const m = marker();
    const { res, body } = await analyze(`Terrible. Email ${EMAIL} or call ${PHONE}, card ${CARD} ${m}`, { language_code: "en" });
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ pii_detected: true, pii_types: { EMAIL: 1, PHONE: 1, CREDIT_DEBIT_NUMBER: 1 } });
    const received = (await receivedTexts(m)).map((t) => t.text).join("\n");
    expect(received).toContain("[EMAIL]");
    expect(received).toContain("[PHONE]");
    expect(received).toContain("[CREDIT_CARD]");
    const everywhere = `${received}\n${await everythingInKv()}\n${logged()}\n${JSON.stringify(body)}`;
    for (const value of [EMAIL, PHONE, CARD, "maria.lopez", "555-0132", "1111 1111"]) expect(everywhere).not.toContain(value);
  });

  it("redacts an SSN-shaped number labelled as one before Comprehend sees it, though no SSN was ever issued with it", async () => {
    const m = marker();
    const { body } = await analyze(`ssn 123-45-6789 and account # 00123456 ${m}`, { language_code: "en" });
    expect(body).toMatchObject({ pii_detected: true, pii_types: { SSN: 1, BANK_ACCOUNT_NUMBER: 1 } });
    const received = (await receivedTexts(m)).map((t) => t.text).join("\n");
    expect(received).toContain("ssn [SSN] and account # [BANK_ACCOUNT]");
    expect(received).not.toContain("6789");
  });

  it("under pii=detect flags the entities and analyses the original, still keeping it out of KV and logs", async () => {
    const m = marker();
    const { body } = await analyze(`Great help from ${EMAIL} ${m}`, { pii: "detect", language_code: "en" });
    expect(body).toMatchObject({ pii_detected: true, pii_types: { EMAIL: 1 } });
    expect((await receivedTexts(m))[0]?.text).toContain(EMAIL);
    expect(`${await everythingInKv()}\n${logged()}`).not.toContain(EMAIL);
  });

  it("under pii=off sends the text as it is and reports nothing", async () => {
    const m = marker();
    const { body } = await analyze(`Great help from ${EMAIL} ${m}`, { pii: "off", language_code: "en" });
    expect(body).toMatchObject({ pii_detected: false, pii_types: {} });
    expect((await receivedTexts(m))[0]?.text).toContain(EMAIL);
  });

  it("never echoes submitted text in errors or logs, and stores nothing for refused input", async () => {
    const m = marker();
    const before = await everythingInKv();
    const answers = await Promise.all([
      call("/v1/analyze/sync", { body: { text: `${m} `.repeat(400) } }),
      call("/v1/analyze/sync", { body: `{"text": "${m} unterminated` }),
      call("/v1/analyze/sync", { body: { text: 123, note: m } }),
      call("/v1/analyze/sync", { body: { text: m, options: { pii: m } } }),
      call("/v1/analyze/sync", { body: { text: m }, contentType: "text/plain" }),
    ]);
    for (const res of answers) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toContain(m);
    }
    expect(logged()).not.toContain(m);
    expect(await everythingInKv()).toBe(before);
    expect(await receivedTexts(m)).toHaveLength(0);
  });

  it("keeps the API key out of logs and stores only its hash", async () => {
    await analyze(`Fine ${marker()}`, { language_code: "en" });
    expect(logged()).toContain('"key_id"');
    expect(logged()).not.toContain(DEV_KEY);
    expect(await everythingInKv()).not.toContain(DEV_KEY);
  });

  it("logs one JSON line per request with ids, route, status, latency and cost", async () => {
    const { res } = await analyze(`Lovely ${marker()}`, { language_code: "en" });
    const line = logs[0]!.mock.calls.map((a) => String(a[0])).find((l) => l.includes(res.headers.get("x-request-id")!));
    expect(JSON.parse(line!)).toMatchObject({
      request_id: res.headers.get("x-request-id"),
      key_id: expect.stringMatching(/^[0-9a-f]{12}$/),
      route: "/v1/analyze/sync",
      status: 200,
      latency_ms: expect.any(Number),
      cache: "miss",
      comprehend_ms: expect.any(Number),
      units: 3,
    });
  });
});
