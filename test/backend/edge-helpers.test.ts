/** Small pieces of the edge that run anywhere: the isolate's memory cache, the breaker, chunking, AWS error mapping. */
import { describe, expect, it } from "vitest";
import { AwsCallError, type AwsFailureKind } from "../../worker/aws/json-protocol.ts";
import { apiErrorOf } from "../../worker/errors.ts";
import { MemoryCache } from "../../shared/memory-cache.ts";
import { chunkText } from "../../shared/pipeline/chunk.ts";
import { utf8Bytes } from "../../shared/comprehend.ts";
import { CircuitBreaker, CircuitOpenError } from "../../worker/aws/circuit-breaker.ts";
import { jobStatus } from "../../worker/jobs/status.ts";
import type { JobRow } from "../../shared/jobs.ts";

describe("MemoryCache", () => {
  it("forgets entries when they expire and evicts the least recently used beyond its size", () => {
    let now = 0;
    const cache = new MemoryCache<number>(2, 1_000, () => now);
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1); // a is now the most recently used
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    now = 1_000;
    expect(cache.get("c")).toBeUndefined();
  });
});

describe("CircuitBreaker", () => {
  const fail = () => Promise.reject(new Error("down"));
  const ok = () => Promise.resolve("ok");

  it("opens after the threshold, refuses with the time left, lets one trial through after the cool-down", async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 5_000 }, () => now);
    await expect(breaker.run(fail, () => true)).rejects.toThrow("down");
    await expect(breaker.run(fail, () => true)).rejects.toThrow("down");
    const refused = await breaker.run(ok, () => true).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect((refused as CircuitOpenError).retryAfterSeconds).toBe(5);

    now = 5_000;
    let release!: () => void;
    const trial = breaker.run(() => new Promise<string>((r) => (release = () => r("ok"))), () => true);
    await expect(breaker.run(ok, () => true)).rejects.toBeInstanceOf(CircuitOpenError); // only one trial
    release();
    await expect(trial).resolves.toBe("ok");
    expect(breaker.state).toBe("closed");
  });

  it("does not count failures the caller says are not the dependency's", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 5_000 });
    await expect(breaker.run(fail, () => false)).rejects.toThrow();
    expect(breaker.state).toBe("closed");
  });
});

describe("chunkText", () => {
  it("keeps a text within the limit whole, and cuts a longer one at sentence ends into parts that rebuild it", () => {
    expect(chunkText("Short. Text.", 5_000)).toEqual(["Short. Text."]);
    const text = "Ünïcödé sentence number one is here. ".repeat(300);
    const parts = chunkText(text, 5_000);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join("")).toBe(text);
    for (const p of parts) {
      expect(utf8Bytes(p)).toBeLessThanOrEqual(5_000);
      expect(p.trimEnd().endsWith(".")).toBe(true);
    }
  });

  it("chunks a 1 MiB document (segmented window by window) into parts that rebuild it, surrogate pairs whole", () => {
    const text = "Great product 😀. It broke after a week, sadly. ".repeat(22_000);
    const parts = chunkText(text, 5_000);
    expect(parts.join("")).toBe(text);
    for (const p of parts) {
      expect(utf8Bytes(p)).toBeLessThanOrEqual(5_000);
      expect(p).not.toMatch(/[\uD800-\uDBFF]$/);
    }
  });

  it("cuts a sentence with no end by words, and a word with no spaces by code points", () => {
    const word = "é".repeat(6_000);
    const parts = chunkText(word, 5_000);
    expect(parts.join("")).toBe(word);
    for (const p of parts) expect(utf8Bytes(p)).toBeLessThanOrEqual(5_000);
  });
});

describe("apiErrorOf: AWS failures as API errors", () => {
  const aws = (kind: AwsFailureKind, type: string, status: number) => new AwsCallError(kind, type, "m", status, 1);
  it.each([
    ["a throttled call", aws("throttled", "ThrottlingException", 400), "SERVICE_UNAVAILABLE", 503, 1],
    ["a timeout", aws("timeout", "Timeout", 0), "SERVICE_UNAVAILABLE", 503, 1],
    ["a 5xx", aws("server", "InternalServerException", 500), "SERVICE_UNAVAILABLE", 503, 1],
    ["refused credentials", aws("client", "AccessDeniedException", 400), "SERVICE_UNAVAILABLE", 503, 1],
    ["an open circuit", new CircuitOpenError(7), "SERVICE_UNAVAILABLE", 503, 7],
    ["an unsupported language", aws("client", "UnsupportedLanguageException", 400), "VALIDATION_ERROR", 400, undefined],
    ["a language code outside Comprehend's enum", new AwsCallError("client", "ValidationException", "1 validation error detected: Value 'xx' at 'languageCode' failed to satisfy constraint", 400, 1), "VALIDATION_ERROR", 400, undefined],
    ["a request we got wrong", aws("client", "SerializationException", 400), "INTERNAL_ERROR", 500, undefined],
    ["anything else", new TypeError("boom"), "INTERNAL_ERROR", 500, undefined],
  ])("maps %s", (_, err, code, status, retryAfter) => {
    const mapped = apiErrorOf(err, "Job storage");
    expect([mapped.code, mapped.status, mapped.details.retryAfter]).toEqual([code, status, retryAfter]);
    expect(mapped.message).not.toContain("boom");
  });
});

describe("jobStatus: a job's stage a person can read", () => {
  const base: JobRow = {
    pk: "job#job_x",
    job_id: "job_x",
    tenant_id: "t",
    status: "PENDING",
    format: "csv",
    created_at: "2026-12-01T00:00:00.000Z",
    upload_key: "uploads/2026/12/01/job_x/input",
    options: { pii: "redact" },
    expires_at: 0,
  };
  it.each([
    [{ status: "PENDING" }, { status: "PENDING", stage: "queued" }],
    [{ status: "PENDING", prepared_at: "2026-12-01T00:00:01.000Z" }, { status: "PENDING", stage: "preparing" }],
    [
      { status: "PENDING", prepared_at: "2026-12-01T00:00:01.000Z", part_count: 4, parts_prepared: 1, rows_prepared: 1_000_000 },
      { status: "PENDING", stage: "preparing", preparation: { parts_done: 1, part_count: 4, rows_read: 1_000_000 } },
    ],
    [{ status: "PROCESSING", item_count: 40, batch_count: 2, batches_done: 1 }, { status: "PROCESSING", stage: "analysing", items: 40, progress: { batches_done: 1, batch_count: 2, percent: 50 } }],
    [{ status: "PROCESSING", item_count: 40, batch_count: 2, batches_done: 2 }, { status: "PROCESSING", stage: "aggregating", items: 40 }],
    [
      { status: "PROCESSING", item_count: 3_000_000, batch_count: 3, batches_done: 3, part_count: 3, parts_joined: 1 },
      { status: "PROCESSING", stage: "aggregating", items: 3_000_000, aggregation: { parts_done: 1, part_count: 3 } },
    ],
    [{ status: "AWAITING_UPLOAD", upload_expires_at: "2026-12-01T00:15:00.000Z" }, { status: "AWAITING_UPLOAD", upload_expires_at: "2026-12-01T00:15:00.000Z" }],
  ] as [Partial<JobRow>, Record<string, unknown>][])("%j -> %j", (row, expected) => {
    expect(jobStatus({ ...base, ...row })).toMatchObject(expected);
  });

  it("promises a completion from the job's size and route, never a time already past while it runs", () => {
    const at = (iso: string, row: Partial<JobRow>) => jobStatus({ ...base, ...row }, new Date(iso));
    const promised = (status: ReturnType<typeof jobStatus>) => ("estimated_completion" in status ? status.estimated_completion : undefined);
    // A 150 MB upload being prepared: the async route, minutes (not the seconds of an unknown size).
    const upload = { status: "PENDING", prepared_at: "2026-12-01T00:00:01.000Z", upload_bytes: 150_000_000 } as const;
    expect(promised(at("2026-12-01T00:00:10.000Z", upload))).toBe("2026-12-01T00:10:35.000Z");
    // Once read, its 1,100,000 rows: start-up and ~7,000 rows a second.
    expect(promised(at("2026-12-01T00:00:10.000Z", { ...upload, status: "PROCESSING", item_count: 1_100_000 }))).toBe("2026-12-01T00:07:38.000Z");
    // 10,000 rows on the fast route: 250 rows a second.
    expect(promised(at("2026-12-01T00:00:10.000Z", { status: "PROCESSING", item_count: 10_000, upload_bytes: 1_000_000 }))).toBe("2026-12-01T00:00:45.000Z");
    // Past its promise and still running: a little later, not a time gone by.
    expect(promised(at("2026-12-01T01:00:00.000Z", { status: "PROCESSING", item_count: 10_000, upload_bytes: 1_000_000 }))).toBe("2026-12-01T01:00:30.000Z");
  });
});
