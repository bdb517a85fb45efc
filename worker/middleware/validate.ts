/**
 * zod failures as the API's 400: the first issue names the field as a dotted path (query
 * parameters prefixed `query.`). Messages describe the rule, never the submitted value.
 */
import type { z } from "zod";
import { ApiError } from "../errors.ts";

/** The validation hook of every route (OpenAPIHono's defaultHook): a failure is thrown as the 400. */
export function throwOnInvalid(result: { success: boolean; error?: { issues: z.core.$ZodIssue[] }; target?: string }): void {
  if (!result.success && result.error) throw validationError(result.error, result.target === "query" ? "query" : undefined);
}

/** The first issue as a 400; `at` is where the validated value sits (`query`, `items.3.text`); a body by default. */
export function validationError(error: { issues: z.core.$ZodIssue[] }, at?: string): ApiError {
  const issue = error.issues[0];
  const field = [at, ...(issue?.path ?? []).map(String)].filter((p) => p !== undefined).join(".") || "body";
  return new ApiError("VALIDATION_ERROR", `${field}: ${describe(issue)}`, { field });
}

function describe(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return "invalid";
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? "is required" : `must be ${issue.expected}`;
    case "unrecognized_keys":
      return `unknown field(s): ${issue.keys.join(", ")}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return `must have at least ${issue.minimum} ${issue.origin === "array" ? "items" : "characters"}`;
    case "too_big":
      return `must have at most ${issue.maximum} ${issue.origin === "array" ? "items" : "characters"}`;
    default:
      return issue.message;
  }
}
