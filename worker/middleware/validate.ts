/**
 * zod failures as the API's 400: the first issue names the field as a dotted path (query
 * parameters prefixed `query.`), and says whether the field is missing, of the wrong type or
 * unknown. Messages describe the rule and the JSON type that came, never the submitted value.
 */
import type { z } from "zod";
import { ApiError } from "../errors.ts";

/** The validation hook of every route (OpenAPIHono's defaultHook): a failure is thrown as the 400. */
export function throwOnInvalid(result: { success: boolean; error?: { issues: z.core.$ZodIssue[] }; target?: string; data?: unknown }): void {
  if (!result.success && result.error) throw validationError(result.error, result.data, result.target === "query" ? "query" : undefined);
}

/**
 * The first issue as a 400. `input` is the validated value (zod does not report it), so a
 * field that is there with the wrong type is not called missing; `at` is where the value sits
 * (`query`, `items.3.text`); a body by default.
 */
export function validationError(error: { issues: z.core.$ZodIssue[] }, input: unknown, at?: string): ApiError {
  const issue = error.issues[0];
  const path = (issue?.path ?? []).map(String);
  // An unknown field is named itself, not the object that holds it.
  if (issue?.code === "unrecognized_keys") path.push(issue.keys[0]!);
  const field = [at, ...path].filter((p) => p !== undefined).join(".") || "body";
  return new ApiError("VALIDATION_ERROR", `${field}: ${describe(issue, valueAt(input, issue?.path ?? []))}`, { field });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The JSON name of a value's type, as a client would say it. */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function describe(issue: z.core.$ZodIssue | undefined, value: unknown): string {
  if (!issue) return "invalid";
  switch (issue.code) {
    case "invalid_type":
      return value === undefined ? "is required" : `must be ${issue.expected}, not ${jsonType(value)}`;
    case "unrecognized_keys":
      return "unknown field";
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
