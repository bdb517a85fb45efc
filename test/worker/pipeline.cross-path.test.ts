/**
 * One text pipeline for both paths: the same texts with the same options, sent through
 * POST /v1/analyze/sync and as a batch job (the local state machine and the real Lambdas),
 * get the same sentiment, scores, language, PII flags, or the same error.
 */
import { describe, expect, it } from "vitest";
import { AnalyzeAsyncResponse } from "../../shared/schemas.ts";
import { call, marker, waitForJobEnd } from "./helpers.ts";

interface Case {
  name: string;
  text: string;
}

const m = marker();
const CASES: Case[] = [
  { name: "positive English", text: `I love this product, it works perfectly ${m}` },
  { name: "negative English", text: `The worst purchase I ever made, totally broken ${m}` },
  { name: "neutral English", text: `It was delivered on Tuesday ${m}` },
  { name: "Spanish", text: `Me encanta este producto, es excelente y muy bueno ${m}` },
  { name: "an e-mail address", text: `Mail bob@example.com, the service was awful ${m}` },
  { name: "whitespace and NFD accents", text: `  Cafe\u0301   was   great!!  ${m} ` },
  // Over 5,000 UTF-8 bytes (about 6,600): cut at sentences, parts combined by length.
  { name: "a long Japanese text", text: `${"この製品はとても良いです。".repeat(170)}${m}` },
  { name: "an unsupported language (Polish)", text: `To jest naprawdę bardzo dobry produkt, polecam go wszystkim znajomym ${m}` },
  { name: "a chat message too short to tell", text: "ok" },
  { name: "an emoji", text: "👍" },
];

const OPTION_SETS: Record<string, unknown>[] = [{}, { pii: "detect" }, { pii: "off", language_code: "en" }];

type Outcome = Record<string, unknown>;

async function viaSync(text: string, options: Record<string, unknown>): Promise<Outcome> {
  const res = await call("/v1/analyze/sync", { body: { text, options } });
  const body = (await res.json()) as Record<string, any>;
  if (res.status !== 200) return { status: res.status, code: body.error.code, field: body.error.field };
  const { sentiment, score, scores, language_code, language_source, pii_detected, pii_types } = body;
  return { sentiment, score, scores, language_code, language_source, pii_detected, pii_types };
}

async function viaJob(texts: string[], options: Record<string, unknown>): Promise<Outcome[]> {
  const items = texts.map((text, i) => ({ id: `case-${i}`, text }));
  const res = await call("/v1/analyze/async", { body: { items, options } });
  expect(res.status).toBe(202);
  const { job_id } = AnalyzeAsyncResponse.parse(await res.json());
  expect((await waitForJobEnd(job_id)).status).toBe("COMPLETED");
  const lines = (await (await call(`/v1/jobs/${job_id}/results`)).text()).trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);
  return lines.map((line) => {
    if (line.error) return { status: 400, code: line.error.code, field: line.error.field };
    const { sentiment, score, scores, language_code, language_source, pii_detected, pii_types } = line;
    return { sentiment, score, scores, language_code, language_source, pii_detected, pii_types };
  });
}

describe("the same text gives the same answer in real time and in a batch job", () => {
  for (const options of OPTION_SETS) {
    it(`with options ${JSON.stringify(options)}`, async () => {
      const job = await viaJob(CASES.map((c) => c.text), options);
      for (const [i, c] of CASES.entries()) {
        const sync = await viaSync(c.text, options);
        expect({ case: c.name, ...job[i] }).toEqual({ case: c.name, ...sync });
      }
      // The table means something: answers of every kind, and languages chosen by every rule.
      expect(new Set(job.map((o) => o.sentiment)).size).toBeGreaterThanOrEqual(3);
      expect(new Set(job.map((o) => o.language_source)).size).toBeGreaterThanOrEqual(options.language_code ? 1 : 2);
    });
  }

  it("analyses a language it cannot take in the default language, the same way on both paths", async () => {
    const polish = CASES.find((c) => c.name.includes("Polish"))!.text;
    const [job] = await viaJob([polish], { default_language: "es" });
    expect(job).toMatchObject({ language_code: "es", language_source: "default" });
    expect(await viaSync(polish, { default_language: "es" })).toEqual(job);
  });
});
