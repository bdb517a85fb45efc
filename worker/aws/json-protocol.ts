/**
 * AWS's JSON protocol (Comprehend, SQS, DynamoDB) over aws4fetch, with the retry policy the
 * API needs: full-jitter exponential backoff on throttling (which AWS sends as HTTP 400 with a
 * `__type`) and on 5xx or timeouts, each attempt bounded, and nothing beyond the deadline.
 */
import { AwsClient } from "aws4fetch";
import type { Deadline } from "./deadline.ts";

export type AwsFailureKind = "throttled" | "server" | "timeout" | "client";

export class AwsCallError extends Error {
  override readonly name = "AwsCallError";
  constructor(
    readonly kind: AwsFailureKind,
    /** The exception name AWS gave (e.g. ThrottlingException), or a local one (Timeout). */
    readonly type: string,
    message: string,
    readonly status: number,
    readonly attempts: number,
  ) {
    super(message);
  }

  /** A failure that says the dependency is unwell (not that the request was wrong). */
  get isDependencyFailure(): boolean {
    return this.kind !== "client" || this.status === 403 || AUTH_ERRORS.has(this.type);
  }
}

const THROTTLING = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "Throttling",
]);
const AUTH_ERRORS = new Set(["UnrecognizedClientException", "InvalidSignatureException", "AccessDeniedException", "ExpiredTokenException"]);

export interface RetryPolicy {
  maxAttempts: number;
  attemptTimeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** No attempt is started with less time than this left. */
  minAttemptMs: number;
}

export interface JsonCall {
  endpoint: string;
  target: string;
  /** application/x-amz-json-1.1 (Comprehend) or 1.0 (SQS, DynamoDB). */
  contentType: string;
  body: unknown;
}

export async function callAwsJson<T>(
  aws: AwsClient,
  call: JsonCall,
  deadline: Deadline,
  policy: RetryPolicy,
  random: () => number = Math.random,
): Promise<T> {
  const payload = JSON.stringify(call.body);
  return withRetries((attempt, timeoutMs) => attemptOnce<T>(aws, call, payload, timeoutMs, attempt), deadline, policy, random);
}

/**
 * The one retry loop of the Worker's AWS calls: `attempt` answers a value or the AwsCallError
 * of that attempt; a client error is thrown at once, a transient one (throttled, 5xx, timeout,
 * a dropped connection) retried after full-jitter backoff while the deadline leaves room.
 */
export async function withRetries<T>(
  attempt: (attempt: number, timeoutMs: number) => Promise<T | AwsCallError>,
  deadline: Deadline,
  policy: RetryPolicy,
  random: () => number = Math.random,
): Promise<T> {
  let last: AwsCallError | undefined;
  for (let n = 1; n <= policy.maxAttempts; n++) {
    const timeLeft = deadline.remaining();
    if (timeLeft < policy.minAttemptMs) break;
    const outcome = await attempt(n, Math.min(policy.attemptTimeoutMs, timeLeft));
    if (!(outcome instanceof AwsCallError)) return outcome;
    last = outcome;
    if (outcome.kind === "client") throw outcome;
    const backoff = random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
    if (n === policy.maxAttempts || deadline.remaining() - backoff < policy.minAttemptMs) break;
    await new Promise((resolve) => setTimeout(resolve, backoff));
  }
  throw last ?? new AwsCallError("timeout", "DeadlineExceeded", "no time left for an attempt", 0, 0);
}

async function attemptOnce<T>(
  aws: AwsClient,
  call: JsonCall,
  payload: string,
  timeoutMs: number,
  attempt: number,
): Promise<T | AwsCallError> {
  let response: Response;
  try {
    response = await aws.fetch(call.endpoint, {
      method: "POST",
      headers: { "content-type": call.contentType, "x-amz-target": call.target },
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return new AwsCallError("timeout", timedOut ? "Timeout" : "NetworkError", timedOut ? `no answer within ${timeoutMs} ms` : "network error", 0, attempt);
  }
  // arrayBuffer, not text(): workerd warns on text() of x-amz-json content types.
  const raw = new TextDecoder().decode(await response.arrayBuffer());
  let parsed: unknown;
  try {
    parsed = raw ? JSON.parse(raw) : {};
  } catch {
    parsed = {};
  }
  if (response.ok) return parsed as T;
  const body = (parsed ?? {}) as { __type?: string; message?: string; Message?: string };
  // `__type` may be "ns#Name"; the header form is "Name:uri".
  const rawType = body.__type ?? response.headers.get("x-amzn-errortype") ?? `Http${response.status}`;
  const type = rawType.split(":")[0]!.split("#").pop()!;
  // The AWS message never holds our text, but keep it short and single-line anyway.
  const message = String(body.message ?? body.Message ?? "").slice(0, 200).replace(/\s+/g, " ");
  const kind: AwsFailureKind =
    THROTTLING.has(type) || response.status === 429 ? "throttled" : response.status >= 500 ? "server" : "client";
  return new AwsCallError(kind, type, message, response.status, attempt);
}

/** What every AWS client of the Worker is made from. */
export interface AwsServiceOptions {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region: string;
  endpoint: string;
  retry: RetryPolicy;
}

/** An aws4fetch signer for `service`; retries 0: the policy above retries, inside the deadline. */
export function signerFor(service: string, options: Pick<AwsServiceOptions, "credentials" | "region">): AwsClient {
  return new AwsClient({ ...options.credentials, region: options.region, service, retries: 0 });
}
