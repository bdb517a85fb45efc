/**
 * POST /v1/analyze/batch: 1..25 texts in one request. Each item succeeds or fails on its own;
 * misses are grouped per language into BatchDetectSentiment calls.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { AnalyzeBatchRequest, AnalyzeBatchResponse, MAX_SYNC_CHARACTERS, SyncText, characterCount } from "../../shared/schemas.ts";
import { finishAnalysis } from "../analysis/finish.ts";
import { Deadline } from "../aws/deadline.ts";
import type { AppEnv } from "../context.ts";
import { jsonRouteChecks } from "../middleware/body.ts";
import { validateJson } from "../middleware/validate.ts";
import { presentResult } from "./analyze-sync.ts";
import type { RouteSpec } from "./route.ts";

export const BATCH_MAX_BODY_BYTES = 1024 * 1024;

export const analyzeBatchRoute: RouteSpec = {
  method: "post",
  path: "/v1/analyze/batch",
  summary: "Analyse up to 25 texts in one request",
  description: `Each item is 1..${MAX_SYNC_CHARACTERS} characters; a bad item gets its own error and the others are still analysed. One request counts once against the rate limit.`,
  authenticated: true,
  request: AnalyzeBatchRequest,
  response: { status: 200, schema: AnalyzeBatchResponse },
  errors: ["VALIDATION_ERROR", "UNAUTHORIZED", "FORBIDDEN", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMIT_EXCEEDED", "CONFIG_ERROR"],
};

type BatchResult = z.infer<typeof AnalyzeBatchResponse>["results"][number];

export function registerAnalyzeBatch(app: Hono<AppEnv>): void {
  app.post(
    analyzeBatchRoute.path,
    ...jsonRouteChecks(BATCH_MAX_BODY_BYTES),
    validateJson(AnalyzeBatchRequest),
    async (c) => {
      const started = Date.now();
      const { items, options } = c.req.valid("json");
      const results: BatchResult[] = new Array(items.length);
      const valid: { index: number; text: string }[] = [];
      items.forEach((item, index) => {
        const checked = SyncText.safeParse(item.text);
        if (checked.success) valid.push({ index, text: item.text.trim() });
        else {
          const field = `items.${index}.text`;
          results[index] = { index, id: item.id, error: { code: "VALIDATION_ERROR", message: `${field}: ${checked.error.issues[0]?.message}`, field } };
        }
      });

      if (valid.length > 0) {
        const report = await c.get("services").analyzer.analyze(
          valid.map((v) => ({ text: v.text, options })),
          new Deadline(c.get("config").SYNC_DEADLINE_MS),
        );
        finishAnalysis(c, report, valid.reduce((n, v) => n + characterCount(v.text), 0));
        report.outcomes.forEach((outcome, i) => {
          const { index } = valid[i]!;
          const id = items[index]!.id;
          results[index] = outcome.ok
            ? { index, id, ...presentResult(outcome.result, options.include_confidence), pii_detected: outcome.pii.detected, pii_types: outcome.pii.types, cached: outcome.cached }
            : { index, id, error: { code: outcome.error.code as "VALIDATION_ERROR", message: outcome.error.message, field: outcome.error.details.field } };
        });
      }

      const failed = results.filter((r) => "error" in r).length;
      const body: AnalyzeBatchResponse = {
        results,
        succeeded: results.length - failed,
        failed,
        processing_time_ms: Date.now() - started,
        request_id: c.get("requestId"),
      };
      return c.json(body, 200);
    },
  );
}
