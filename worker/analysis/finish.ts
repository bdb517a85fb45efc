/**
 * What every analysis route does once it has a report, none of it on the response's clock:
 * cache writes, dead-letter events and the key's usage counters go to waitUntil; the cost goes
 * into the request's log line.
 */
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import { rateLimiterOf } from "../rate-limiter/middleware.ts";
import type { AnalysisReport } from "./analyzer.ts";
import { DEAD_LETTER_SCHEMA_VERSION } from "./dead-letter.ts";

/** Set on any answer (or batch) that holds an embedded engine's answer. */
export const FALLBACK_HEADER = "AuraStream-Fallback";

export function finishAnalysis(c: Context<AppEnv>, report: AnalysisReport, characters: number): void {
  const { deadLetters, usage, permits } = c.get("services");
  const { hash, record } = c.get("apiKey");
  const background: Promise<unknown>[] = [...report.pending];
  // Units taken before the work and not billed (fallback answers, refused texts) go back to the key's limits.
  const refund = c.get("unitBudget")?.settle(report.units);
  if (refund) background.push(refund);
  if (report.failed.length > 0) {
    const failedAt = new Date().toISOString();
    background.push(
      deadLetters.send(
        report.failed.map((item) => ({
          version: DEAD_LETTER_SCHEMA_VERSION,
          request_id: c.get("requestId"),
          key_id: record.key_id,
          tenant_id: record.tenant_id,
          route: new URL(c.req.url).pathname,
          failed_at: failedAt,
          item,
        })),
        c.env.KV,
      ),
    );
  }
  // Counted in the isolate. A busy key's usage rides on its next permit reservation (or the
  // end-of-second hand-back); otherwise it is sent now, coalesced with any flush in flight.
  usage.add(hash, { requests: 1, characters, comprehend_units: report.units, cache_hits: report.cacheHits, fallback_answers: report.fallbacks });
  // The caller must be able to tell an embedded answer from Comprehend's without reading the body.
  if (report.fallbacks > 0) c.header(FALLBACK_HEADER, "embedded-engine");
  if (!permits.willReportSoon(hash)) {
    const limiter = rateLimiterOf(c.env, hash);
    background.push(usage.flush(hash, (delta) => limiter.recordUsage(delta)));
  }
  if (background.length > 0) c.executionCtx.waitUntil(
    Promise.allSettled(background).then((results) => {
      for (const r of results) {
        if (r.status === "rejected") {
          const reason = r.reason as unknown;
          console.error(JSON.stringify({ level: "error", event: "background_task_failed", request_id: c.get("requestId"), error: reason instanceof Error ? reason.name : "unknown" }));
        }
      }
    }),
  );
  const total = report.outcomes.length;
  const log = c.get("log");
  log.cache = report.cacheHits === total ? "hit" : report.cacheHits === 0 ? "miss" : "partial";
  log.comprehend_ms = report.comprehendMs;
  log.units = report.units;
  if (total > 1) log.items = total;
}
