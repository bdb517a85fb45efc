/**
 * The batch path end to end, through the Worker: submit -> the local state machine (started by
 * the upload) -> poll status -> COMPLETED -> results, as JSON lines and CSV.
 */
import { describe, expect, it } from "vitest";
import { AnalyzeAsyncResponse } from "../../shared/schemas.ts";
import { call, waitForJobEnd as waitForEnd } from "./helpers.ts";

describe("batch jobs (happy)", () => {
  it("takes a 3-row CSV to COMPLETED and returns the 3 ids with sentiments", async () => {
    const csv = "id,text\nc1,I love this product\nc2,The worst purchase I ever made\nc3,The package arrived on Tuesday\n";
    const res = await call("/v1/analyze/async?language_code=en", { body: csv, contentType: "text/csv" });
    expect(res.status).toBe(202);
    const accepted = AnalyzeAsyncResponse.parse(await res.json());
    expect(accepted.status_url).toBe(`/v1/status/${accepted.job_id}`);
    expect(res.headers.get("location")).toBe(accepted.status_url);

    const done = await waitForEnd(accepted.job_id);
    expect(done).toMatchObject({ status: "COMPLETED", result: { item_count: 3, distribution: { POSITIVE: 1, NEGATIVE: 1, NEUTRAL: 1 } } });

    const lines = (await (await call(`/v1/jobs/${accepted.job_id}/results`)).text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.sentiment])).toEqual([
      ["c1", "POSITIVE"],
      ["c2", "NEGATIVE"],
      ["c3", "NEUTRAL"],
    ]);
    const csvRes = await call(`/v1/jobs/${accepted.job_id}/results`, { headers: { accept: "text/csv" } });
    expect(csvRes.headers.get("content-type")).toMatch(/^text\/csv/);
    const rows = (await csvRes.text()).trim().split("\r\n");
    expect(rows[0]).toBe("id,line,sentiment,score,positive,negative,neutral,mixed,language_code,language_source,pii_detected,pii_types,error_code,error_message");
    expect(rows.slice(1).map((r) => r.split(",").slice(0, 3).join(","))).toEqual(["c1,2,POSITIVE", "c2,3,NEGATIVE", "c3,4,NEUTRAL"]);
  });

  it("accepts JSON text and items, and JSON lines, and picks the path in /v1/analyze by mode", async () => {
    const items = await call("/v1/analyze/async", { body: { items: [{ id: "x", text: "Great value" }], options: { language_code: "en" } } });
    expect(items.status).toBe(202);
    const jsonl = await call("/v1/analyze/async", { body: '{"id":"j1","text":"Lovely"}\n', contentType: "application/x-ndjson" });
    expect(jsonl.status).toBe(202);
    const auto = await call("/v1/analyze", { body: { text: "Quick answer please", options: { language_code: "en" } } });
    expect(auto.status).toBe(200);
    expect(await auto.json()).toMatchObject({ sentiment: expect.any(String), cached: expect.any(Boolean) });
    const long = await call("/v1/analyze", { body: { text: "A long review. ".repeat(400) } });
    expect(long.status).toBe(202);
    const forced = await call("/v1/analyze", { body: { mode: "ASYNC", text: "Short but as a job" } });
    expect(forced.status).toBe(202);
    const done = await waitForEnd(AnalyzeAsyncResponse.parse(await items.json()).job_id);
    expect(done.status).toBe("COMPLETED");
  });

  it("answers a long document job as the one item it is, cut into parts behind the scenes", async () => {
    const text = "The support team answered within minutes and fixed the issue. ".repeat(100); // 6,300 characters
    const res = await call("/v1/analyze/async", { body: { text, options: { language_code: "en" } } });
    expect(res.status).toBe(202);
    const { job_id } = AnalyzeAsyncResponse.parse(await res.json());
    expect(await waitForEnd(job_id)).toMatchObject({ status: "COMPLETED", result: { item_count: 1, failed_items: 0 } });
    const lines = (await (await call(`/v1/jobs/${job_id}/results`)).text()).trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: "1", sentiment: expect.any(String) });
  });

  it("redirects large results, JSON lines or CSV, to a presigned S3 GET", async () => {
    const res = await call("/v1/analyze/async", { body: "id,text\nb1,Great value\nb2,Terrible packaging\n", contentType: "text/csv" });
    const { job_id } = AnalyzeAsyncResponse.parse(await res.json());
    expect((await waitForEnd(job_id)).status).toBe("COMPLETED");
    const small = { RESULTS_REDIRECT_BYTES: "10" };
    const redirected = await call(`/v1/jobs/${job_id}/results`, { env: small });
    expect(redirected.status).toBe(302);
    const location = redirected.headers.get("location")!;
    expect(location).toContain("X-Amz-Signature=");
    const direct = await fetch(location);
    expect(direct.status).toBe(200);
    expect((await direct.text()).trim().split("\n").map((l) => JSON.parse(l).id)).toEqual(["b1", "b2"]);
    const csv = await call(`/v1/jobs/${job_id}/results`, { env: small, headers: { accept: "text/csv" } });
    expect(csv.status).toBe(302);
    const csvDirect = await fetch(csv.headers.get("location")!);
    expect((await csvDirect.text()).split("\r\n")[0]).toMatch(/^id,line,sentiment/);
  });

  it("returns the same job for the same Idempotency-Key and body", async () => {
    const body = { text: "Idempotent feedback text", options: { language_code: "en" } };
    const headers = { "idempotency-key": `idem-${crypto.randomUUID()}` };
    const first = AnalyzeAsyncResponse.parse(await (await call("/v1/analyze/async", { body, headers })).json());
    const again = await call("/v1/analyze/async", { body, headers });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json<{ job_id: string }>()).job_id).toBe(first.job_id);
  });
});
