/**
 * POST /v1/analyze/batch: 1..25 texts in one request. Each item succeeds or fails on its own;
 * misses are grouped per language into BatchDetectSentiment calls.
 */
import type { z } from "zod";
import { characterCount } from "../../shared/comprehend.ts";
import { AnalyzeBatchRequest, AnalyzeBatchResponse, MAX_SYNC_CHARACTERS, SyncText } from "../../shared/schemas.ts";
import { analyzeContextOf } from "../analysis/analyzer.ts";
import { presentResult } from "../analysis/answer.ts";
import { finishAnalysis } from "../analysis/finish.ts";
import { Deadline } from "../aws/deadline.ts";
import { unitBudgetOf } from "../rate-limiter/spend.ts";
import { bodyRouteChecks } from "../middleware/body.ts";
import { validationError } from "../middleware/validate.ts";
import { API_KEY_SECURITY, AUTHENTICATED_ERRORS, BODY_ERRORS, SPEND_ERRORS, createRoute, errorResponses, jsonContent, type Api } from "./contract.ts";

export const BATCH_MAX_BODY_BYTES = 1024 * 1024;

export const analyzeBatchRoute = createRoute({
  method: "post",
  path: "/v1/analyze/batch",
  summary: "Analyse up to 25 texts in one request",
  description: `Each item is 1..${MAX_SYNC_CHARACTERS} characters; a bad item gets its own error and the others are still analysed. One request counts once against the rate limit.`,
  security: API_KEY_SECURITY,
  middleware: bodyRouteChecks(BATCH_MAX_BODY_BYTES),
  request: { body: { required: true, content: jsonContent(AnalyzeBatchRequest) } },
  responses: {
    200: { description: "One result or error per item, in order", content: jsonContent(AnalyzeBatchResponse) },
    ...errorResponses([...BODY_ERRORS, ...AUTHENTICATED_ERRORS, ...SPEND_ERRORS]),
  },
});

type BatchResult = z.infer<typeof AnalyzeBatchResponse>["results"][number];

export function register(app: Api): void {
  app.openapi(analyzeBatchRoute, async (c) => {
    const started = Date.now();
    const { items, options } = c.req.valid("json");
    const results: BatchResult[] = new Array(items.length);
    const valid: { index: number; text: string }[] = [];
    items.forEach((item, index) => {
      const checked = SyncText.safeParse(item.text);
      if (checked.success) valid.push({ index, text: item.text.trim() });
      else {
        const { message, details } = validationError(checked.error, item.text, `items.${index}.text`);
        results[index] = { index, id: item.id, error: { code: "VALIDATION_ERROR", message, field: details.field } };
      }
    });

    if (valid.length > 0) {
      const report = await c.get("services").analyzer.analyze(
        valid.map((v) => ({ text: v.text, options })),
        new Deadline(c.get("config").SYNC_DEADLINE_MS),
        analyzeContextOf(c.get("apiKey").record, unitBudgetOf(c)),
      );
      finishAnalysis(c, report, valid.reduce((n, v) => n + characterCount(v.text), 0));
      // Over the plan's units the whole request is refused (429 / 413), as a request over its request limit is.
      const refused = report.outcomes.find((o) => !o.ok && (o.error.code === "QUOTA_EXCEEDED" || o.error.code === "PAYLOAD_TOO_LARGE"));
      if (refused && !refused.ok) throw refused.error;
      report.outcomes.forEach((outcome, i) => {
        const { index } = valid[i]!;
        const id = items[index]!.id;
        results[index] = outcome.ok
          ? {
              index,
              id,
              ...presentResult(outcome.result, options.include_confidence),
              pii_detected: outcome.pii.detected,
              pii_types: outcome.pii.types,
              cached: outcome.cached,
              engine: outcome.fallback ? ("embedded" as const) : ("comprehend" as const),
            }
          : { index, id, error: outcome.error.toItemError() };
      });
    }

    const failed = results.filter((r) => "error" in r).length;
    return c.json({ results, succeeded: results.length - failed, failed, processing_time_ms: Date.now() - started, request_id: c.get("requestId") }, 200);
  });
}
