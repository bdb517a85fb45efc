/**
 * The one error type of the API and the one shape it is sent in:
 * {"error": {"code", "message", "request_id", "field"?, "retry_after"?}}.
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
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
    readonly details: { field?: string; retryAfter?: number; upstream?: string } = {},
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  toBody(requestId: string) {
    return {
      error: {
        code: this.code,
        message: this.message,
        request_id: requestId,
        ...(this.details.field !== undefined ? { field: this.details.field } : {}),
        ...(this.details.retryAfter !== undefined ? { retry_after: this.details.retryAfter } : {}),
      },
    };
  }
}
