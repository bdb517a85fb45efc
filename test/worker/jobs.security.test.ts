/** A job belongs to its tenant: another tenant's key sees nothing of it. */
import { describe, expect, it } from "vitest";
import { AnalyzeAsyncResponse } from "../../shared/schemas.ts";
import { call, newKey } from "./helpers.ts";

describe("batch jobs (security)", () => {
  it("answers 404 to another tenant for the status and the results of a job", async () => {
    const { job_id } = AnalyzeAsyncResponse.parse(await (await call("/v1/analyze/async", { body: { text: "Private feedback", options: { language_code: "en" } } })).json());
    const other = await newKey("basic", "other-tenant");
    for (const path of [`/v1/status/${job_id}`, `/v1/jobs/${job_id}/results`]) {
      const res = await call(path, { key: other });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    }
    expect((await call(`/v1/status/${job_id}`)).status).toBe(200);
  });

  it("needs a key", async () => {
    expect((await call("/v1/analyze/async", { key: null, body: { text: "x" } })).status).toBe(401);
    expect((await call("/v1/status/job_00000000000000000000000000000000", { key: null })).status).toBe(401);
  });
});
