/**
 * POST /v1/analyze: one entry for both paths. `mode`: SYNC (a text, answered now), ASYNC (a
 * job), AUTO (default: a job for items, files or a text over 5,000 characters; else now).
 */
import type { Hono } from "hono";
import { z } from "zod";
import { AnalyzeAsyncRequest, AnalyzeSyncRequest, MAX_SYNC_CHARACTERS, characterCount } from "../../shared/schemas.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { validationError } from "../middleware/validate.ts";
import { asyncChecks, readAsyncBody, submitJob } from "./analyze-async.ts";
import { answerSync } from "./analyze-sync.ts";
import type { RouteSpec } from "./route.ts";

const Mode = z.enum(["SYNC", "ASYNC", "AUTO"]);

export const analyzeRoute: RouteSpec = {
  method: "post",
  path: "/v1/analyze",
  summary: "Analyse now or as a job: mode SYNC | ASYNC | AUTO",
  description:
    "The body of /v1/analyze/sync or /v1/analyze/async plus `mode`. AUTO (default) starts a job for items, CSV / JSON-lines bodies or a text over 5,000 characters, and answers the rest at once (200 as sync, 202 as async).",
  authenticated: true,
  request: z.union([AnalyzeSyncRequest.extend({ mode: Mode.optional() }), AnalyzeAsyncRequest]),
  response: { status: 200, schema: z.unknown() },
  errors: ["VALIDATION_ERROR", "UNAUTHORIZED", "FORBIDDEN", "IDEMPOTENCY_CONFLICT", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMIT_EXCEEDED", "SERVICE_UNAVAILABLE", "CONFIG_ERROR"],
};

export function registerAnalyze(app: Hono<AppEnv>): void {
  app.post(analyzeRoute.path, ...asyncChecks, async (c) => {
    const read = await readAsyncBody(c);
    if (read.format !== "json") return submitJob(c, read.format, read.text);
    const body = read.json;
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError("VALIDATION_ERROR", "body: must be an object", { field: "body" });
    const { mode: rawMode, ...rest } = body as Record<string, unknown>;
    const mode = Mode.safeParse(rawMode ?? "AUTO");
    if (!mode.success) throw validationError({ issues: mode.error.issues.map((i) => ({ ...i, path: ["mode"] })) });

    const long = typeof rest.text === "string" && characterCount(rest.text.trim()) > MAX_SYNC_CHARACTERS;
    const sync = mode.data === "SYNC" || (mode.data === "AUTO" && rest.items === undefined && !long);
    if (!sync) return submitJob(c, "json", rest);
    const parsed = AnalyzeSyncRequest.safeParse(rest);
    if (!parsed.success) throw validationError(parsed.error);
    return answerSync(c, parsed.data);
  });
}
