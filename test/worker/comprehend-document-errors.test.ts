/**
 * A document Comprehend refuses inside a batch (an ErrorList entry, as AWS reports them) fails
 * that item alone, with the same per-item error in real time and in a batch job.
 */
import { describe, expect, it } from "vitest";
import { AnalyzeAsyncResponse } from "../../shared/schemas.ts";
import { addFault, call, clearFaults, marker, waitForJobEnd } from "./helpers.ts";

const REFUSED = { code: "INTERNAL_ERROR", message: "Comprehend could not analyse this text (INTERNAL_SERVER_ERROR)." };

describe("Comprehend's per-document errors", () => {
  it("fail one item of /v1/analyze/batch and not the others", async () => {
    const m = marker();
    await addFault({ operation: "BatchDetectSentiment", kind: "document-error", match: m });
    try {
      const res = await call("/v1/analyze/batch", {
        body: { items: [{ id: "ok", text: `I love it ${marker()}` }, { id: "bad", text: `Refused document ${m}` }], options: { language_code: "en" } },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { results: Record<string, any>[]; succeeded: number; failed: number };
      expect(body).toMatchObject({ succeeded: 1, failed: 1 });
      expect(body.results[0]).toMatchObject({ id: "ok", sentiment: "POSITIVE" });
      expect(body.results[1]).toEqual({ index: 1, id: "bad", error: REFUSED });
    } finally {
      await clearFaults(m);
    }
  });

  it("fail one row of a job, which still COMPLETES with that row's error", async () => {
    const m = marker();
    await addFault({ operation: "BatchDetectSentiment", kind: "document-error", match: m });
    try {
      const res = await call("/v1/analyze/async", { body: { items: [{ id: "ok", text: `Great value ${marker()}` }, { id: "bad", text: `Refused row ${m}` }], options: { language_code: "en" } } });
      const { job_id } = AnalyzeAsyncResponse.parse(await res.json());
      const done = await waitForJobEnd(job_id);
      expect(done).toMatchObject({ status: "COMPLETED", result: { item_count: 2, failed_items: 1 } });
      const lines = (await (await call(`/v1/jobs/${job_id}/results`)).text()).trim().split("\n").map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ id: "ok", sentiment: "POSITIVE" });
      expect(lines[1]).toMatchObject({ id: "bad", error: REFUSED });
    } finally {
      await clearFaults(m);
    }
  });
});
