/** The batch path's refusals: bad input, conflicts, unfinished jobs, failed uploads, malformed files. */
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { AnalyzeAsyncResponse } from "../../shared/schemas.ts";
import { LOCAL_DEV_TENANT } from "../../worker/auth/api-keys.ts";
import { call, jobStatus as statusOf, localAws as aws, marker, waitForJobEnd as waitForEnd } from "./helpers.ts";

describe("batch jobs (errors)", () => {
  it("ends a CSV with an unterminated quote FAILED with INVALID_INPUT naming the line", async () => {
    const res = await call("/v1/analyze/async", { body: 'id,text\n1,fine\n2,"no closing quote\n', contentType: "text/csv" });
    expect(res.status).toBe(202);
    const { job_id } = AnalyzeAsyncResponse.parse(await res.json());
    expect(await waitForEnd(job_id)).toMatchObject({ status: "FAILED", error: { code: "INVALID_INPUT", message: "line 3: unterminated quoted field" } });
    const results = await call(`/v1/jobs/${job_id}/results`);
    expect(results.status).toBe(409);
    expect(await results.json()).toMatchObject({ error: { code: "JOB_NOT_READY" } });
  });

  it("fails a CSV whose every row fails, inventing no sentiment, and still serves each row's reason", async () => {
    const res = await call("/v1/analyze/async", { body: "id,text\n1,\n2,   \n", contentType: "text/csv" });
    expect(res.status).toBe(202);
    const { job_id } = AnalyzeAsyncResponse.parse(await res.json());
    const done = await waitForEnd(job_id);
    expect(done).toMatchObject({ status: "FAILED", error: { code: "TOO_MANY_FAILED_ROWS", message: expect.stringMatching(/^2 of 2 rows failed \(100%\), more than the 50% allowed/) } });
    expect(done).not.toHaveProperty("result");
    const results = await call(`/v1/jobs/${job_id}/results`);
    expect(results.status).toBe(200);
    const lines = (await results.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.line, l.error.code])).toEqual([["1", 2, "VALIDATION_ERROR"], ["2", 3, "VALIDATION_ERROR"]]);
    expect(lines[0]).not.toHaveProperty("sentiment");
  });

  it("refuses a different body under the same Idempotency-Key with 409", async () => {
    const headers = { "idempotency-key": `idem-${crypto.randomUUID()}` };
    expect((await call("/v1/analyze/async", { body: { text: "first body" }, headers })).status).toBe(202);
    const conflict = await call("/v1/analyze/async", { body: { text: "second body" }, headers });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: { code: "IDEMPOTENCY_CONFLICT", field: "Idempotency-Key" } });
  });

  it("says a field is of the wrong type rather than missing, and names an unknown query parameter", async () => {
    const items = await call("/v1/analyze/async", { body: { items: "great" } });
    expect(items.status).toBe(400);
    expect(await items.json()).toMatchObject({ error: { field: "items", message: "items: must be array, not a string" } });
    const query = await call("/v1/analyze/async?bogus=1", { body: "id,text\n1,fine\n", contentType: "text/csv" });
    expect(query.status).toBe(400);
    expect(await query.json()).toMatchObject({ error: { field: "query.bogus", message: "query.bogus: unknown field" } });
  });

  it.each([
    ["neither text nor items", { source_id: "x" }, "text"],
    ["both text and items", { text: "a", items: [{ text: "b" }] }, "text"],
    ["a callback to a private address", { text: "a", options: { callback_url: "https://10.1.2.3/hook" } }, "options.callback_url"],
    ["a plain-http callback", { text: "a", options: { callback_url: "http://example.com/hook" } }, "options.callback_url"],
  ])("refuses %s with 400", async (_, body, field) => {
    const res = await call("/v1/analyze/async", { body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", field } });
  });

  it("refuses a CSV or JSON-lines body of more than 10,000 rows, as JSON items are refused", async () => {
    const csv = "id,text\n" + Array.from({ length: 10_001 }, (_, i) => `${i},ok`).join("\n") + "\n";
    const jsonl = Array.from({ length: 10_001 }, () => '{"text":"ok"}').join("\n");
    for (const [body, contentType] of [[csv, "text/csv"], [jsonl, "application/x-ndjson"]] as const) {
      const res = await call("/v1/analyze/async", { body, contentType });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", field: "body", message: "body: at most 10,000 rows in a request; send larger files through POST /v1/jobs" } });
    }
    const items = await call("/v1/analyze/async", { body: { items: Array.from({ length: 10_001 }, () => ({ text: "ok" })) } });
    expect(items.status).toBe(400);
    // 10,000 rows, blank lines not counted, is accepted.
    const atCap = await call("/v1/analyze/async?language_code=en", { body: "text\n" + "ok\n\n".repeat(10_000), contentType: "text/csv" });
    expect(atCap.status).toBe(202);
  });

  it("refuses other media types (415), bodies over the limit (413), unknown jobs (404)", async () => {
    expect((await call("/v1/analyze/async", { body: "<xml/>", contentType: "application/xml" })).status).toBe(415);
    expect((await call("/v1/analyze/async", { body: "text\n" + "a,".repeat(600_000), contentType: "text/csv" })).status).toBe(413);
    expect((await call("/v1/status/job_00000000000000000000000000000000")).status).toBe(404);
    expect((await call("/v1/status/not-a-job")).status).toBe(404);
  });

  it("answers 409 JOB_NOT_READY for results of a job still running", async () => {
    // Slow the job down at Comprehend so it is still running when asked.
    const m = marker();
    await fetch(`${inject("awsEndpoint")}/_local/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ operation: "BatchDetectSentiment", kind: "latency", latencyMs: 1_500, count: 1, match: m }),
    });
    const { job_id } = AnalyzeAsyncResponse.parse(await (await call("/v1/analyze/async", { body: { text: `Slow one ${m}`, options: { language_code: "en" } } })).json());
    let running = await statusOf(job_id);
    for (let i = 0; i < 20 && running.status === "PENDING"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      running = await statusOf(job_id);
    }
    expect(running).toMatchObject({ status: "PROCESSING", stage: "analysing", items: 1, progress: { batches_done: 0, batch_count: 1, percent: 0 } });
    const early = await call(`/v1/jobs/${job_id}/results`);
    expect(early.status).toBe(409);
    expect(early.headers.get("retry-after")).toBe("5");
    expect((await waitForEnd(job_id)).status).toBe("COMPLETED");
  });

  it("answers 503 when the upload fails, and leaves the job FAILED, not PENDING, with no upload", async () => {
    const m = marker();
    await fetch(`${inject("awsEndpoint")}/_local/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ operation: "s3:PutObject", kind: "error", status: 500, match: m }),
    });
    try {
      const res = await call("/v1/analyze/async", { body: { text: `Upload will fail ${m}`, source_id: m } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: "SERVICE_UNAVAILABLE", retry_after: 5 } });
    } finally {
      await fetch(`${inject("awsEndpoint")}/_local/faults?match=${m}`, { method: "DELETE" });
    }
    // The row was written before the upload; read it straight from the local DynamoDB.
    const scan = await aws("dynamodb").fetch(inject("awsEndpoint"), {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.Scan" },
      body: JSON.stringify({ TableName: "aurastream-jobs", FilterExpression: "source_id = :m", ExpressionAttributeValues: { ":m": { S: m } } }),
    });
    const { Items } = (await scan.json()) as { Items: Record<string, { S?: string; M?: Record<string, { S: string }> }>[] };
    expect(Items).toHaveLength(1);
    expect(Items[0]!.status?.S).toBe("FAILED");
    expect(Items[0]!.error?.M?.code?.S).toBe("UPLOAD_FAILED");
    const jobId = Items[0]!.job_id!.S!;
    expect(await statusOf(jobId)).toMatchObject({ status: "FAILED", error: { code: "UPLOAD_FAILED" } });
    const listing = await aws("s3").fetch(`${inject("awsEndpoint")}/aurastream-jobs?list-type=2&prefix=uploads/`);
    expect(await listing.text()).not.toContain(jobId);
  });

  it("answers 503, not 500, for a COMPLETED job whose results object is missing (S3 says 403 to the Worker)", async () => {
    const jobId = `job_${crypto.randomUUID().replace(/-/g, "")}`;
    const now = new Date().toISOString();
    const row = {
      pk: { S: `job#${jobId}` }, job_id: { S: jobId }, tenant_id: { S: LOCAL_DEV_TENANT }, status: { S: "COMPLETED" }, format: { S: "text" },
      created_at: { S: now }, completed_at: { S: now }, upload_key: { S: `uploads/x/${jobId}/input` }, options: { M: { pii: { S: "redact" } } }, expires_at: { N: "9999999999" },
    };
    const put = await aws("dynamodb").fetch(inject("awsEndpoint"), {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.PutItem" },
      body: JSON.stringify({ TableName: "aurastream-jobs", Item: row }),
    });
    expect(put.status).toBe(200);
    const res = await call(`/v1/jobs/${jobId}/results`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "SERVICE_UNAVAILABLE", message: "The results could not be read; try again shortly." } });
  });
});
