/**
 * The one error type of the API and the one shape it is sent in:
 * {"error": {"code", "message", "request_id", "field"?, "retry_after"?, "limit"?}}.
 */
import type { PlanLimitName } from "../shared/tiers.ts";
import { ITEM_ERROR_CODES, type ItemError } from "../shared/pipeline/item-errors.ts";
import { CircuitOpenError } from "./aws/circuit-breaker.ts";
import { AwsCallError } from "./aws/json-protocol.ts";

export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  IDEMPOTENCY_CONFLICT: 409,
  JOB_NOT_READY: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMIT_EXCEEDED: 429,
  QUOTA_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  CONFIG_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  readonly status: (typeof ERROR_STATUS)[ErrorCode];

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** `upstream`: the dependency's error name, for logs and dead letters; never sent to the client. */
    readonly details: { field?: string; retryAfter?: number; upstream?: string; limit?: PlanLimitName } = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  /** This error as one item's error in a multi-item answer (the item codes are a subset of the API's). */
  toItemError(): ItemError {
    const code = (ITEM_ERROR_CODES as readonly string[]).includes(this.code) ? (this.code as ItemError["code"]) : "INTERNAL_ERROR";
    return { code, message: this.message, ...(this.details.field !== undefined ? { field: this.details.field } : {}) };
  }

  toBody(requestId: string) {
    return {
      error: {
        code: this.code,
        message: this.message,
        request_id: requestId,
        ...(this.details.field !== undefined ? { field: this.details.field } : {}),
        ...(this.details.retryAfter !== undefined ? { retry_after: this.details.retryAfter } : {}),
        ...(this.details.limit !== undefined ? { limit: this.details.limit } : {}),
      },
    };
  }
}

/**
 * The one mapping from a failed dependency call to the API's error: a refused or unwell
 * dependency is 503 with `retry_after`, a language Comprehend cannot analyse is a 400 naming
 * `language_code`, anything else is our fault (500). `dependency` names what failed in the message.
 */
export function apiErrorOf(err: unknown, dependency: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof CircuitOpenError) {
    return new ApiError("SERVICE_UNAVAILABLE", `${dependency} is temporarily unavailable.`, { retryAfter: err.retryAfterSeconds, upstream: "CircuitOpen" });
  }
  if (err instanceof AwsCallError) {
    if (err.type === "UnsupportedLanguageException") {
      return new ApiError("VALIDATION_ERROR", "This language cannot be analysed.", { field: "language_code", upstream: err.type });
    }
    // Comprehend's model validation names the member at fault ("... at 'languageCode' failed to satisfy ...").
    if (err.type === "ValidationException") {
      const member = /at '(\w+)/.exec(err.message)?.[1];
      if (member === "languageCode") return new ApiError("VALIDATION_ERROR", "This language cannot be analysed.", { field: "language_code", upstream: err.type });
      if (member === "text" || member === "textList") return new ApiError("VALIDATION_ERROR", "The text cannot be analysed.", { field: "text", upstream: err.type });
    }
    if (err.isDependencyFailure) {
      const why = err.kind === "throttled" ? "is throttling" : err.kind === "timeout" ? "did not answer in time" : "failed";
      return new ApiError("SERVICE_UNAVAILABLE", `${dependency} ${why}; try again shortly.`, { retryAfter: RETRY_AFTER_SECONDS, upstream: err.type });
    }
    return new ApiError("INTERNAL_ERROR", "The request could not be completed.", { upstream: err.type });
  }
  return new ApiError("INTERNAL_ERROR", "The request could not be completed.", { upstream: err instanceof Error ? err.name : "unknown" });
}

/** What a client is told to wait after a transient dependency failure. */
const RETRY_AFTER_SECONDS = 1;
