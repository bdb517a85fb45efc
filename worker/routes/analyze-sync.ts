/** POST /v1/analyze/sync: one text, answered within the deadline (cache first, then Comprehend). */
import { AnalyzeSyncRequest, AnalyzeSyncResponse } from "../../shared/schemas.ts";
import { answerText } from "../analysis/answer.ts";
import { bodyRouteChecks } from "../middleware/body.ts";
import { API_KEY_SECURITY, AUTHENTICATED_ERRORS, BODY_ERRORS, SPEND_ERRORS, createRoute, errorResponses, jsonContent, type Api } from "./contract.ts";

/** 5,000 characters even as \uXXXX escapes, plus options, fit well inside this. */
export const SYNC_MAX_BODY_BYTES = 64 * 1024;

export const analyzeSyncRoute = createRoute({
  method: "post",
  path: "/v1/analyze/sync",
  summary: "Analyse one text in real time",
  description:
    "Sentiment of 1..5,000 characters. PII is redacted at the edge by default. Identical texts (after normalisation and redaction) are answered from the cache for 24 h.",
  security: API_KEY_SECURITY,
  middleware: bodyRouteChecks(SYNC_MAX_BODY_BYTES),
  request: { body: { required: true, content: jsonContent(AnalyzeSyncRequest) } },
  responses: {
    200: { description: "The text's sentiment", content: jsonContent(AnalyzeSyncResponse) },
    ...errorResponses([...BODY_ERRORS, ...AUTHENTICATED_ERRORS, ...SPEND_ERRORS]),
  },
});

export function register(app: Api): void {
  app.openapi(analyzeSyncRoute, async (c) => c.json(await answerText(c, c.req.valid("json")), 200));
}
