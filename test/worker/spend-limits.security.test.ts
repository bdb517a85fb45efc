/**
 * Spend bounded by plan: Comprehend units taken from a key's hourly and daily limits before the
 * work (real time: a request's misses; jobs: their estimate at submission), settled to what was
 * billed, and a tenant's jobs bounded in number. Keys here carry small limits of their own
 * (`npm run keys -- create --limit`), so each limit is reached in a few requests.
 */
import { describe, expect, it } from "vitest";
import { estimateUploadJob } from "../../shared/job-units.ts";
import { CreateJobResponse, ErrorResponse, UsageResponse } from "../../shared/schemas.ts";
import { addFault, call, faultMarkers, marker, newKey, waitForJobEnd } from "./helpers.ts";

const failing = faultMarkers();

const sync = (key: string, text: string, options: Record<string, unknown> = {}) =>
  call("/v1/analyze/sync", { key, body: { text, options: { language_code: "en", ...options } } });
const usageOf = async (key: string) => UsageResponse.parse(await (await call("/v1/usage", { key })).json());
const errorOf = async (res: Response) => ErrorResponse.parse(await res.json()).error;
const csvOf = (rows: string[]) => "id,text\n" + rows.map((text, i) => `${i},${text}`).join("\n") + "\n";
const asyncCsv = (key: string, csv: string, headers: Record<string, string> = {}) =>
  call("/v1/analyze/async?language_code=en", { key, body: csv, contentType: "text/csv", headers });

describe("real-time spend", () => {
  it("takes each miss's units from the hourly limit and refuses the miss that would pass it (429, limit named), while hits still answer", async () => {
    const key = await newKey("free", undefined, { limits: { units_per_hour: 9 } });
    const m = marker();
    for (const word of ["lovely", "awful", "fine"]) expect((await sync(key, `${word} ${m}`)).status).toBe(200); // 3 units each
    const refused = await sync(key, `another ${m}`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    const error = await errorOf(refused);
    expect(error).toMatchObject({ code: "QUOTA_EXCEEDED", limit: "units_per_hour" });
    expect(error.retry_after).toBeGreaterThan(3000);
    expect(error.message).toContain("9 Comprehend units per hour");
    expect(error.message).not.toContain(m);
    // A cached text costs nothing, so it is still answered.
    expect(await (await sync(key, `lovely ${m}`)).json()).toMatchObject({ cached: true });
    expect((await usageOf(key)).spend).toMatchObject({ units_last_hour: 9 });
  });

  it("refuses a request larger than the plan's hour outright (413, limit named)", async () => {
    const key = await newKey("free", undefined, { limits: { units_per_hour: 20 } });
    const res = await sync(key, `${marker()} ${"too long for this plan. ".repeat(100)}`);
    expect(res.status).toBe(413);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", limit: "units_per_hour" });
    expect(error.retry_after).toBeUndefined();
  });

  it("charges a batch by its documents' units, not once, and refuses the whole batch past the limit", async () => {
    const key = await newKey("free", undefined, { limits: { units_per_hour: 1_300 } });
    const m = marker();
    const long = (i: number) => `${m} item ${i} ${"The delivery was late and the box was damaged. ".repeat(110)}`.slice(0, 5_000);
    const items = Array.from({ length: 25 }, (_, i) => ({ text: long(i) }));
    const res = await call("/v1/analyze/batch", { key, body: { items, options: { language_code: "en" } } });
    expect(res.status).toBe(200);
    const usage = await usageOf(key);
    expect(usage.spend.units_last_hour).toBe(1_250); // 25 x 50 units
    expect(usage.usage.comprehend_units).toBe(1_250);
    const again = await call("/v1/analyze/batch", { key, body: { items: items.slice(0, 2).map((it) => ({ text: `${it.text.slice(0, 4_000)} again` })), options: { language_code: "en" } } });
    expect(again.status).toBe(429);
    expect(await errorOf(again)).toMatchObject({ code: "QUOTA_EXCEEDED", limit: "units_per_hour" });
  });

  it("gives back the units of a fallback answer (Comprehend failing bills nothing)", async () => {
    const key = await newKey("free", undefined, { limits: { units_per_hour: 3 } });
    const m = failing();
    await addFault({ operation: "DetectSentiment", kind: "error", status: 500, match: m });
    const fallback = await sync(key, `I love this product ${m}`);
    expect(await fallback.json()).toMatchObject({ engine: "embedded" });
    expect((await usageOf(key)).spend.units_last_hour).toBe(0);
    // So the key's 3 units are still there for a real answer.
    expect((await sync(key, `Comprehend answers this ${marker()}`)).status).toBe(200);
  });
});

describe("job spend", () => {
  it("charges a job its estimate at submission, holds it while the job runs, then settles it to what it billed; /v1/usage counts the job's units", async () => {
    const key = await newKey("basic");
    const m = marker();
    const csv = csvOf([`I love it ${m}`, `Awful support ${m}`, `I love it ${m}`]);
    const bytes = new TextEncoder().encode(csv).length;
    const res = await call("/v1/jobs", { key, body: { format: "csv", bytes, items: 3, options: { language_code: "en" } } });
    expect(res.status).toBe(201);
    const job = CreateJobResponse.parse(await res.json());
    const estimate = estimateUploadJob(bytes, 3);
    expect((await usageOf(key)).spend).toEqual({ units_last_hour: estimate, units_last_day: estimate, units_reserved_for_jobs: estimate, active_jobs: 1 });
    expect((await fetch(job.upload.url, { method: "PUT", headers: job.upload.headers, body: csv })).status).toBe(200);
    expect(await waitForJobEnd(job.job_id, key)).toMatchObject({ status: "COMPLETED", result: { units_billed: 6 } }); // two distinct texts
    const usage = await usageOf(key);
    expect(usage.spend).toEqual({ units_last_hour: 6, units_last_day: 6, units_reserved_for_jobs: 0, active_jobs: 0 });
    expect(usage.usage).toMatchObject({ comprehend_units: 6, job_units: 6 });
  });

  it("refuses a job whose estimate passes the key's limits: the largest upload on a free key is 413, a job over what is left is 429", async () => {
    const key = await newKey("free");
    const huge = await call("/v1/jobs", { key, body: { format: "csv", bytes: 5 * 1024 ** 3 } });
    expect(huge.status).toBe(413);
    expect(await errorOf(huge)).toMatchObject({ code: "PAYLOAD_TOO_LARGE", limit: "units_per_hour" });

    const small = await newKey("free", undefined, { limits: { units_per_hour: 40 } });
    const first = await asyncCsv(small, csvOf(Array.from({ length: 10 }, (_, i) => `row ${i} ${marker()}`)));
    expect(first.status).toBe(202); // 10 rows x 3 units, plus room for tags: 34
    const second = await asyncCsv(small, csvOf([`one more ${marker()}`, `and another ${marker()}`]));
    expect(second.status).toBe(429);
    expect(await errorOf(second)).toMatchObject({ code: "QUOTA_EXCEEDED", limit: "units_per_hour" });
  });

  it("admits exactly the plan's concurrent jobs per tenant, across its keys, however many race; a replay is never refused for its own slot", async () => {
    const tenant = `slots-${marker()}`;
    const keyA = await newKey("free", tenant, { limits: { concurrent_jobs: 2 } });
    const keyB = await newKey("free", tenant, { limits: { concurrent_jobs: 2 } });
    // Upload jobs stay open until their file comes: the slots stay taken.
    const create = (key: string, headers: Record<string, string> = {}) => call("/v1/jobs", { key, body: { format: "csv", bytes: 100, items: 2 }, headers });
    expect((await create(keyA, { "idempotency-key": "first" })).status).toBe(201);
    const answers = await Promise.all([create(keyA), create(keyB), create(keyB), create(keyA)]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 429, 429, 429]);
    const refused = await errorOf(answers.find((r) => r.status === 429)!);
    expect(refused).toMatchObject({ code: "QUOTA_EXCEEDED", limit: "concurrent_jobs", retry_after: 15 });
    expect((await usageOf(keyB)).spend.active_jobs).toBe(2);
    const replay = await create(keyA, { "idempotency-key": "first" });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });

  it("frees a tenant's slot when its job ends: the next submission settles it and is admitted", async () => {
    const key = await newKey("free", undefined, { limits: { concurrent_jobs: 1 } });
    const first = await asyncCsv(key, csvOf([`first job ${marker()}`]));
    expect(first.status).toBe(202);
    await waitForJobEnd(((await first.json()) as { job_id: string }).job_id, key);
    expect((await asyncCsv(key, csvOf([`second job ${marker()}`]))).status).toBe(202);
  });

  it("ends an uploaded file that would bill more than its declared items allow FAILED (UNITS_OVER_RESERVATION) before any analysis, and bills nothing", async () => {
    const key = await newKey("basic");
    const m = marker();
    const csv = csvOf(Array.from({ length: 400 }, (_, i) => `row ${i} ${m}`));
    const bytes = new TextEncoder().encode(csv).length;
    const res = await call("/v1/jobs", { key, body: { format: "csv", bytes, items: 10, options: { language_code: "en" } } });
    expect(res.status).toBe(201);
    const job = CreateJobResponse.parse(await res.json());
    expect((await fetch(job.upload.url, { method: "PUT", headers: job.upload.headers, body: csv })).status).toBe(200);
    const ended = await waitForJobEnd(job.job_id, key);
    expect(ended).toMatchObject({ status: "FAILED", error: { code: "UNITS_OVER_RESERVATION" } });
    if (ended.status === "FAILED") expect(ended.error.message).toContain('"items"');
    const usage = await usageOf(key);
    expect(usage.spend).toMatchObject({ units_last_hour: 0, units_reserved_for_jobs: 0, active_jobs: 0 });
    expect(usage.usage.job_units).toBe(0);
  });
});
