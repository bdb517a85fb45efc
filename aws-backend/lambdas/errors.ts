/**
 * How a batch Lambda's failure reaches the state machine. The SDK clients already retry a
 * transient fault a few times (SDK_CLIENT_CONFIG); one that outlasts them leaves the Lambda as a
 * TransientError, which the state machine retries with its own, longer backoff (the ASL's Retry on
 * "TransientError") before the job ends FAILED RETRIES_EXHAUSTED. Anything else (bad input, a
 * permission refused, a missing job) fails at once with its own name, so its code says what it is.
 */

/** The Lambdas' SDK clients: 5 attempts with the SDK's jittered backoff, and no call that hangs. */
export const SDK_CLIENT_CONFIG = {
  maxAttempts: 5,
  retryMode: "standard",
  // A stalled connection is a timeout (retried), never a Lambda that waits out its own timeout.
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 },
} as const;

/** The upload names no job, or its row is gone: JOB_NOT_FOUND. */
export class JobNotFoundError extends Error {
  override readonly name = "JobNotFoundError";
}

/** The file's distinct texts would bill more than the job was charged at submission (its declared bytes and items): UNITS_OVER_RESERVATION. */
export class UnitsOverReservationError extends Error {
  override readonly name = "UnitsOverReservationError";
  constructor(reserved: number) {
    super(
      `the file's texts would bill more than the ${reserved.toLocaleString("en")} Comprehend units reserved for it at submission; nothing was analysed. Declare its row count as "items" when creating the job`,
    );
  }
}

/** A Lambda failure's message as Step Functions passes it on (Cause: `{"errorType","errorMessage"}`), or undefined when the Cause is not that. */
export function lambdaErrorMessage(cause: string | undefined): string | undefined {
  try {
    const message = (JSON.parse(cause ?? "") as { errorMessage?: unknown } | null)?.errorMessage;
    return message === undefined || message === null ? undefined : String(message);
  } catch {
    return undefined;
  }
}

/** A fault that may pass: throttling, a 5xx, a timeout, a dropped connection. */
export class TransientError extends Error {
  override readonly name = "TransientError";
}

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "SlowDown",
  "RequestThrottled",
]);
/** Transport failures: no HTTP answer came. */
const NETWORK = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED", "TimeoutError", "RequestTimeout", "RequestTimeoutException"]);

interface SdkLikeError {
  name?: string;
  code?: string;
  $fault?: "client" | "server";
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & SdkLikeError;
  if (e instanceof TransientError || THROTTLING.has(e.name) || NETWORK.has(e.name) || (e.code !== undefined && NETWORK.has(e.code))) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  return e.$retryable !== undefined;
}

/** The error a Lambda ends with: a transient fault as TransientError (its name and status, never a payload), others as they are. */
export function lambdaFailure(err: unknown): Error {
  if (!isTransient(err) || err instanceof TransientError) return err instanceof Error ? err : new Error(String(err));
  const e = err as Error & SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  return new TransientError(`${e.name}${e.code && e.code !== e.name ? ` ${e.code}` : ""}${status ? ` (HTTP ${status})` : ""} outlasted the SDK's retries`);
}

/** A Lambda's work, its failure classified: what each exported handler and the local runner call. */
export async function runClassified<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw lambdaFailure(err);
  }
}
