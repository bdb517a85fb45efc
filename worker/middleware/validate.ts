import { zValidator } from "@hono/zod-validator";
import type { z } from "zod";
import { ApiError } from "../errors.ts";

/**
 * zod validation of the JSON body; the first issue becomes a 400 VALIDATION_ERROR naming the
 * field (as a dotted path). Messages describe the rule, never the submitted value.
 */
export function validateJson<T extends z.ZodType>(schema: T) {
  return zValidator("json", schema, (result) => {
    if (!result.success) throw validationError(result.error);
  });
}

/** A zod failure as the API's 400, naming the first field (prefixed, e.g. `options.` for query options). */
export function validationError(error: { issues: z.core.$ZodIssue[] }, prefix = ""): ApiError {
  const issue = error.issues[0];
  const field = issue?.path.length ? prefix + issue.path.join(".") : "body";
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
