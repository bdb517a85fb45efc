/**
 * Job submission when AWS misbehaves (faults injected at the local endpoint, scoped to this
 * test's bodies): a transient S3 or DynamoDB failure is retried by the Worker, so the caller
 * gets 202 and the job completes, not a 503 for a fault one retry cures.
 */
import { describe, expect, it } from "vitest";
import { AnalyzeAsyncResponse } from "../../shared/schemas.ts";
import { activeFaults, addFault, call, clearFaults, faultMarkers, waitForJobEnd } from "./helpers.ts";

const scoped = faultMarkers();

const submit = (m: string) => call("/v1/analyze/async?language_code=en", { body: `id,text\n1,Great support ${m}\n2,Awful delay ${m}\n`, contentType: "text/csv" });

describe("job submission under transient faults", () => {
  it.each([
    ["an S3 500", { operation: "s3:PutObject", kind: "error", status: 500, count: 1 }],
    ["S3 throttling (503 SlowDown), twice", { operation: "s3:PutObject", kind: "throttle", count: 2 }],
  ])("retries %s on the upload: 202, and the job COMPLETES", async (_, fault) => {
    const m = scoped();
    await addFault({ ...fault, match: m });
    const res = await submit(m);
    expect(res.status).toBe(202);
    expect(await activeFaults(m)).toHaveLength(0); // every injected failure was met, then a try passed
    const { job_id } = AnalyzeAsyncResponse.parse(await res.json());
    expect(await waitForJobEnd(job_id)).toMatchObject({ status: "COMPLETED", result: { item_count: 2 } });
  });

  it("answers 503 with retry_after, and no job left PENDING, when S3 keeps failing past the retries", async () => {
    const m = scoped();
    await addFault({ operation: "s3:PutObject", kind: "error", status: 500, match: m });
    const res = await submit(m);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "SERVICE_UNAVAILABLE", retry_after: expect.any(Number) } });
  });

  it("heals the job when the client retries a 503 with its Idempotency-Key: the same job, stored this time, COMPLETED", async () => {
    const m = scoped();
    const key = `retry-${m}`;
    const send = () => call("/v1/analyze/async?language_code=en", { body: `id,text\n1,Great support ${m}\n2,Awful delay ${m}\n`, contentType: "text/csv", headers: { "idempotency-key": key } });
    await addFault({ operation: "s3:PutObject", kind: "error", status: 500, match: m });
    expect((await send()).status).toBe(503);
    await clearFaults(m);
    const retried = await send();
    expect(retried.status).toBe(202);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    const { job_id } = AnalyzeAsyncResponse.parse(await retried.json());
    expect(await waitForJobEnd(job_id)).toMatchObject({ status: "COMPLETED", result: { item_count: 2 } });
  });
});
