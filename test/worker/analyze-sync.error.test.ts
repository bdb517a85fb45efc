/** POST /v1/analyze/sync, bad requests: each gets the right 4xx in the one error shape, naming the field. */
import { describe, expect, it, vi } from "vitest";
import { env, exports } from "cloudflare:workers";
import { ErrorResponse } from "../../shared/schemas.ts";
import { call, marker, newKey, receivedTexts } from "./helpers.ts";
import { hashKey, setKeyStatus } from "../../worker/auth/api-keys.ts";

async function expectError(res: Response, status: number, code: string, field?: string) {
  expect(res.status).toBe(status);
  const body = ErrorResponse.parse(await res.json());
  expect(body.error.code).toBe(code);
  expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
  if (field !== undefined) expect(body.error.field).toBe(field);
  return body.error;
}

describe("POST /v1/analyze/sync (errors)", () => {
  it.each([
    ["a number as text", { text: 42 }, "text"],
    ["no text", {}, "text"],
    ["an empty text", { text: "" }, "text"],
    ["only whitespace", { text: " \n\t " }, "text"],
    ["5,001 characters", { text: "a".repeat(5_001) }, "text"],
    ["an unknown pii mode", { text: "ok", options: { pii: "sometimes" } }, "options.pii"],
    ["a language Comprehend cannot analyse", { text: "ok", options: { language_code: "xx" } }, "options.language_code"],
    ["an unknown field", { text: "ok", extra: true }, "extra"],
    ["an array", [{ text: "ok" }], "body"],
  ])("refuses %s with 400 naming the field", async (_, payload, field) => {
    const error = await expectError(await call("/v1/analyze/sync", { body: payload }), 400, "VALIDATION_ERROR", field);
    expect(error.message).toMatch(new RegExp(`^${field.replace(".", "\\.")}`));
  });

  it.each([
    ["a field of the wrong type", { text: 5 }, "text: must be string, not a number"],
    ["a missing field", {}, "text: is required"],
    ["null for a field", { text: null }, "text: must be string, not null"],
    ["an unknown field, named itself", { text: "ok", extra: true }, "extra: unknown field"],
    ["an options field of the wrong type", { text: "ok", options: { pii: 3 } }, 'options.pii: must be one of "redact", "detect", "off"'],
    ["options that are not an object", { text: "ok", options: "x" }, "options: must be object, not a string"],
  ])("says what is wrong with %s: wrong type, missing or unknown", async (_, payload, message) => {
    const res = await call("/v1/analyze/sync", { body: payload });
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { message: string } }>()).error.message).toBe(message);
  });

  it.each([
    ["PUT", "/v1/analyze/sync", "POST"],
    ["DELETE", "/v1/analyze/sync", "POST"],
    ["POST", "/v1/status/job_00000000000000000000000000000000", "GET, HEAD"],
    ["DELETE", "/v1/jobs", "POST"],
  ])("answers %s %s with 405 and Allow: %s", async (method, path, allow) => {
    const res = await exports.default.fetch(`http://edge${path}`, { method, headers: { "x-api-key": "any" } });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    expect(await res.json()).toMatchObject({ error: { code: "METHOD_NOT_ALLOWED", request_id: res.headers.get("x-request-id") } });
  });

  it("quotes at most a short, printable excerpt of an unknown path", async () => {
    const res = await exports.default.fetch(`http://edge/${"x".repeat(10_000)}%0a%1b`);
    expect(res.status).toBe(404);
    const { error } = await res.json<{ error: { message: string } }>();
    expect(error.message.length).toBeLessThan(140);
    expect(error.message).toMatch(/^No route for GET \/x+\.\.\.$/);
  });

  it("accepts exactly 5,000 characters (surrounding whitespace not counted)", async () => {
    const res = await call("/v1/analyze/sync", { body: { text: `  ${"good ".repeat(999)}good  ` } });
    expect(res.status).toBe(200);
  });

  it("refuses invalid JSON and invalid UTF-8 with 400 naming the body", async () => {
    await expectError(await call("/v1/analyze/sync", { body: '{"text": "unterminated' }), 400, "VALIDATION_ERROR", "body");
    const invalidUtf8 = new Uint8Array([...new TextEncoder().encode('{"text":"bad '), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    await expectError(await call("/v1/analyze/sync", { body: invalidUtf8 }), 400, "VALIDATION_ERROR", "body");
  });


  it("refuses other media types with 415", async () => {
    await expectError(await call("/v1/analyze/sync", { body: "text=hello", contentType: "application/x-www-form-urlencoded" }), 415, "UNSUPPORTED_MEDIA_TYPE", "content-type");
    await expectError(await call("/v1/analyze/sync", { body: '{"text":"hi"}', contentType: "text/plain" }), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("refuses a 10 MB body with 413 before reading it, with or without a length", async () => {
    const big = JSON.stringify({ text: "a".repeat(10 * 1024 * 1024) });
    await expectError(await call("/v1/analyze/sync", { body: big }), 413, "PAYLOAD_TOO_LARGE", "body");
    const chunk = new TextEncoder().encode("a".repeat(1024 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await call("/v1/analyze/sync", { body: stream as unknown as string });
    await expectError(res, 413, "PAYLOAD_TOO_LARGE");
    expect(sent).toBeLessThan(10);
  });

  it("answers a body that stops arriving with 408 at the body deadline, and one cut off with 400", async () => {
    const start = (then: (c: ReadableStreamDefaultController<Uint8Array>) => void) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"text":"half a'));
          then(controller);
        },
      });
    const started = Date.now();
    const stalled = await call("/v1/analyze/sync", { body: start(() => undefined) as unknown as string, env: { BODY_READ_TIMEOUT_MS: "300" } });
    const error = await expectError(stalled, 408, "REQUEST_TIMEOUT", "body");
    expect(error.message).toMatch(/within 0.3 s/);
    expect(Date.now() - started).toBeLessThan(3_000);
    const cut = await call("/v1/analyze/sync", { body: start((c) => c.error(new Error("connection reset"))) as unknown as string });
    expect((await expectError(cut, 400, "VALIDATION_ERROR", "body")).message).toMatch(/ended before/);
  });

  it("answers 401 without a key or with an unknown one, and 403 for a disabled key", async () => {
    const noKey = await expectError(await call("/v1/analyze/sync", { key: null, body: { text: "hi" } }), 401, "UNAUTHORIZED");
    expect(noKey.message).toMatch(/Authorization: Bearer/);
    await expectError(await call("/v1/analyze/sync", { key: "as_not_a_real_key", body: { text: "hi" } }), 401, "UNAUTHORIZED");
    const key = await newKey("basic");
    await setKeyStatus(env.KV, hashKey(key), "disabled");
    await expectError(await call("/v1/analyze/sync", { key, body: { text: "hi" } }), 403, "FORBIDDEN");
  });

  it("gives a free key exactly 1,000 requests when 1,050 arrive at once, then 429 with Retry-After", async () => {
    const key = await newKey("free");
    const body = { text: `Nice product, it works well ${marker()}`, options: { language_code: "en" } };
    // The first answer fills the cache, so the burst measures the limiter, not Comprehend.
    const first = await call("/v1/analyze/sync", { key, body });
    const quiet = vi.spyOn(console, "log").mockImplementation(() => {}); // 1,049 log lines
    const answers = [first, ...(await Promise.all(Array.from({ length: 1_049 }, () => call("/v1/analyze/sync", { key, body }))))];
    quiet.mockRestore();
    const byStatus: Record<number, number> = {};
    for (const r of answers) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    expect(byStatus).toEqual({ 200: 1_000, 429: 50 });
    const refused = answers.find((r) => r.status === 429)!;
    const error = await expectError(refused, 429, "RATE_LIMIT_EXCEEDED");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(3_500);
    expect(error.retry_after).toBe(retryAfter);
    expect(refused.headers.get("ratelimit-limit")).toBe("1000");
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
  });
});
