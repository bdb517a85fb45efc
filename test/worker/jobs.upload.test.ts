/**
 * POST /v1/jobs: a job whose file goes straight to S3 through a presigned PUT (the local
 * endpoint verifies it as S3 does), started by the upload's arrival; a URL used with another
 * size is refused; a job whose upload never comes is ended FAILED (UPLOAD_EXPIRED) by its
 * deadline execution (the stack's upload-deadline state machine, run by the local runner), and a
 * late upload does not revive it.
 */
import { env } from "cloudflare:workers";
import { inject, describe, expect, it } from "vitest";
import { CreateJobResponse } from "../../shared/schemas.ts";
import { call, jobStatus, localAws, waitForJobEnd } from "./helpers.ts";

const csv = "id,text\nu1,I love this product\nu2,The app crashes every time\nu3,It arrived on Monday\n";
const create = (body: unknown, headers: Record<string, string> = {}) => call("/v1/jobs", { body, headers });

async function until(check: () => Promise<boolean>, ms: number) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("POST /v1/jobs (presigned uploads)", () => {
  it("creates a job awaiting its upload, takes the file through the presigned PUT, and completes it", async () => {
    const res = await create({ format: "csv", bytes: new TextEncoder().encode(csv).length, options: { language_code: "en" } });
    expect(res.status).toBe(201);
    const job = CreateJobResponse.parse(await res.json());
    expect(res.headers.get("location")).toBe(job.status_url);
    expect(job.upload).toMatchObject({ method: "PUT", headers: { "content-type": "text/csv", "content-length": String(csv.length) } });
    expect(new Date(job.upload.expires_at).getTime()).toBeGreaterThan(Date.now());
    expect(await jobStatus(job.job_id)).toMatchObject({ status: "AWAITING_UPLOAD", upload_expires_at: job.upload.expires_at });

    const put = await fetch(job.upload.url, { method: "PUT", headers: job.upload.headers, body: csv });
    expect(put.status).toBe(200);
    expect(await waitForJobEnd(job.job_id)).toMatchObject({ status: "COMPLETED", result: { item_count: 3, failed_items: 0 } });
    const lines = (await (await call(`/v1/jobs/${job.job_id}/results`)).text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.sentiment])).toEqual([
      ["u1", "POSITIVE"],
      ["u2", "NEGATIVE"],
      ["u3", "NEUTRAL"],
    ]);
  });

  it("refuses an upload of another size than the URL was signed for, and the job keeps waiting", async () => {
    const job = CreateJobResponse.parse(await (await create({ format: "csv", bytes: 20 })).json());
    const put = await fetch(job.upload.url, { method: "PUT", headers: { ...job.upload.headers, "content-length": String(csv.length) }, body: csv });
    expect(put.status).toBe(403);
    expect(await put.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    expect((await jobStatus(job.job_id)).status).toBe("AWAITING_UPLOAD");
  });

  it("ends a job whose upload never came FAILED (UPLOAD_EXPIRED) by its deadline execution, and a late upload does not revive it", async () => {
    // A URL valid 1 s, a grace of 1 s: the deadline execution acts about 2 s after creation.
    const res = await call("/v1/jobs", { body: { format: "jsonl", bytes: 30 }, env: { UPLOAD_URL_TTL_SECONDS: "1", UPLOAD_GRACE_SECONDS: "1" } });
    const job = CreateJobResponse.parse(await res.json());
    expect((await jobStatus(job.job_id)).status).toBe("AWAITING_UPLOAD");
    await until(async () => (await jobStatus(job.job_id)).status === "FAILED", 8_000);
    expect(await jobStatus(job.job_id)).toMatchObject({ status: "FAILED", error: { code: "UPLOAD_EXPIRED" } });
    // The URL is refused now, as S3 refuses it.
    const put = await fetch(job.upload.url, { method: "PUT", headers: job.upload.headers, body: "x".repeat(30) });
    expect(put.status).toBe(403);
    // An object arriving anyway (put by an operator): prepare does not take the job.
    const key = new URL(job.upload.url).pathname.split("/").slice(2).join("/");
    const late = await localAws("s3").fetch(`${inject("awsEndpoint")}/${env.JOBS_BUCKET}/${key}`, { method: "PUT", body: '{"text":"late"}\n' });
    expect(late.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await jobStatus(job.job_id)).toMatchObject({ status: "FAILED", error: { code: "UPLOAD_EXPIRED" } });
  });

  it("leaves a job whose file came in time alone when its deadline passes", async () => {
    const res = await call("/v1/jobs", { body: { format: "csv", bytes: csv.length, options: { language_code: "en" } }, env: { UPLOAD_URL_TTL_SECONDS: "2", UPLOAD_GRACE_SECONDS: "0" } });
    const job = CreateJobResponse.parse(await res.json());
    expect((await fetch(job.upload.url, { method: "PUT", headers: job.upload.headers, body: csv })).status).toBe(200);
    expect(await waitForJobEnd(job.job_id)).toMatchObject({ status: "COMPLETED" });
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await jobStatus(job.job_id)).status).toBe("COMPLETED");
  });

  it("gives the same job, and a URL with the same deadline, for a repeated Idempotency-Key", async () => {
    const headers = { "idempotency-key": `upload-${crypto.randomUUID()}` };
    const first = CreateJobResponse.parse(await (await create({ format: "csv", bytes: 100 }, headers)).json());
    const again = await create({ format: "csv", bytes: 100 }, headers);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const second = CreateJobResponse.parse(await again.json());
    expect(second.job_id).toBe(first.job_id);
    expect(second.upload.expires_at).toBe(first.upload.expires_at);
    expect((await create({ format: "csv", bytes: 101 }, headers)).status).toBe(409);
  });

  it.each([
    [{ bytes: 10 }, "format"],
    [{ format: "xml", bytes: 10 }, "format"],
    [{ format: "csv" }, "bytes"],
    [{ format: "csv", bytes: 0 }, "bytes"],
    [{ format: "csv", bytes: 5 * 1024 ** 3 + 1 }, "bytes"],
    [{ format: "csv", bytes: 1.5 }, "bytes"],
    [{ format: "csv", bytes: 10, extra: true }, "extra"],
  ])("refuses %j with 400 naming %s", async (body, field) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", field } });
  });
});
