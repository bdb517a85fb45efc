/**
 * Identical concurrent misses share one Comprehend call, but a request never hangs on another
 * request's work: a waiter whose owner never settles (its request was cancelled) or fails still
 * gets its own answer within its deadline. Run in workerd against the local endpoint.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { resultCacheKey } from "../../shared/pipeline/cache-key.ts";
import { normaliseText } from "../../shared/pipeline/normalise.ts";
import type { SentimentResult } from "../../shared/schemas.ts";
import { Analyzer } from "../../worker/analysis/analyzer.ts";
import { CircuitBreaker } from "../../worker/aws/circuit-breaker.ts";
import { ComprehendClient } from "../../worker/aws/comprehend.ts";
import { Deadline } from "../../worker/aws/deadline.ts";
import { ResultCache } from "../../worker/cache/result-cache.ts";
import { ApiError } from "../../worker/errors.ts";
import { marker } from "./helpers.ts";

const ENGINE = "test-shared-misses";
const DEADLINE_MS = 900;

function analyzerWith(inflight: Map<string, Promise<SentimentResult>>) {
  const comprehend = new ComprehendClient({
    // The Worker's own credentials, as the tests' bindings give them.
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    region: "us-east-1",
    endpoint: inject("awsEndpoint"),
    breaker: new CircuitBreaker({ failureThreshold: 5, cooldownMs: 30_000 }),
    retry: { maxAttempts: 4, attemptTimeoutMs: 400, baseDelayMs: 25, maxDelayMs: 200, minAttemptMs: 50 },
  });
  return new Analyzer({ comprehend, cache: new ResultCache(env.KV, 60), inflight, engineVersion: ENGINE, ownAttemptReserveMs: 450 });
}

const options = { language_code: "en" as const, pii: "redact" as const, include_confidence: true, fallback: false };
const SCOPE = "tenant:shared-misses";
const keyOf = (text: string) => resultCacheKey({ scope: SCOPE, engineVersion: ENGINE, languageCode: "en", defaultLanguage: "en", pii: "redact", normalisedText: normaliseText(text) });

/** The analysis, or "no answer" when none came long after its deadline (a request hanging on another's work). */
async function answerWithin(analyzer: Analyzer, text: string) {
  const timeout = new Promise<"no answer">((r) => setTimeout(() => r("no answer"), DEADLINE_MS + 600));
  const report = await Promise.race([analyzer.analyze([{ text, options }], new Deadline(DEADLINE_MS), { cacheScope: SCOPE }), timeout]);
  return { report };
}

describe("identical misses in flight", () => {
  it("answers a waiter whose owner never settles (its request was cancelled), within the deadline", async () => {
    const text = `The delivery was quick and lovely ${marker()}`;
    const inflight = new Map([[keyOf(text), new Promise<SentimentResult>(() => {})]]);
    const { report } = await answerWithin(analyzerWith(inflight), text);
    expect(report).not.toBe("no answer");
    if (report === "no answer") return;
    expect(report.outcomes[0]).toMatchObject({ ok: true, result: { sentiment: "POSITIVE" }, cached: false });
  });

  it("answers a waiter whose owner failed with its own attempt, not the owner's error", async () => {
    const text = `Great support, thank you ${marker()}`;
    const failed = new Promise<SentimentResult>((_, reject) => setTimeout(() => reject(new ApiError("SERVICE_UNAVAILABLE", "owner timed out")), 50));
    failed.catch(() => {});
    const { report } = await answerWithin(analyzerWith(new Map([[keyOf(text), failed]])), text);
    expect(report).not.toBe("no answer");
    if (report === "no answer") return;
    expect(report.outcomes[0]).toMatchObject({ ok: true, result: { sentiment: "POSITIVE" } });
  });

  it("still shares the owner's answer when it comes in time (one Comprehend call)", async () => {
    const text = `Shared answer ${marker()}`;
    const result: SentimentResult = { sentiment: "NEUTRAL", score: 0.9, language_code: "en", language_source: "given" };
    const inflight = new Map([[keyOf(text), new Promise<SentimentResult>((r) => setTimeout(() => r(result), 30))]]);
    const { report } = await answerWithin(analyzerWith(inflight), text);
    if (report === "no answer") throw new Error("no answer");
    expect(report.outcomes[0]).toMatchObject({ ok: true, result, cached: false });
    expect(report.units).toBe(0);
  });
});
