/**
 * Fault injection for reliability tests: for an operation (or "*"), fail the next N calls with
 * throttling or a 5xx, drop their connection unanswered (`reset`), or add latency, optionally only for calls whose body contains a marker;
 * or (`document-error`, Comprehend's Batch* operations) answer the documents that contain the
 * marker with an ErrorList entry, as Comprehend does for a document it cannot process; or
 * (`job-failure`) end the next asynchronous sentiment jobs FAILED, as a job Comprehend gives up on. Set at
 * run time through POST /_local/faults.
 */
import { z } from "zod";
import { AwsError } from "./protocol.ts";

export const FaultSchema = z.object({
  /** `Operation` or `service:Operation` (e.g. `DetectSentiment`, `s3:PutObject`), `service:*`, or `*`. */
  operation: z.string().min(1),
  kind: z.enum(["throttle", "error", "latency", "reset", "document-error", "job-failure"]),
  /** For `document-error`: the ErrorList entry's ErrorCode. */
  errorCode: z.string().regex(/^[A-Z_]{1,64}$/).default("INTERNAL_SERVER_ERROR"),
  /** How many matching calls it affects; omitted: every call until cleared. */
  count: z.number().int().positive().optional(),
  /** For `error`: the 5xx status. */
  status: z.number().int().min(500).max(599).default(500),
  /** For `latency`: added milliseconds. */
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  /** Only calls whose request body contains this string (lets parallel tests scope their faults). */
  match: z.string().min(1).optional(),
  /** The share of matching calls it affects, each drawn at random (chaos runs); 1: every one. */
  probability: z.number().gt(0).max(1).default(1),
});
export type Fault = z.infer<typeof FaultSchema>;

interface ActiveFault extends Fault {
  remaining: number;
}

/** Exception names each service uses for throttling and for an internal error. */
const SERVICE_ERRORS: Record<string, { throttle: [number, string]; error: string }> = {
  comprehend: { throttle: [400, "ThrottlingException"], error: "InternalServerException" },
  dynamodb: { throttle: [400, "ThrottlingException"], error: "InternalServerError" },
  sqs: { throttle: [400, "ThrottlingException"], error: "InternalError" },
  s3: { throttle: [503, "SlowDown"], error: "InternalError" },
};

/** Thrown by `apply` for a `reset` fault: the server drops the connection without an answer. */
export class ConnectionReset extends Error {
  override readonly name = "ConnectionReset";
}

export class FaultInjector {
  private faults: ActiveFault[] = [];
  /** Calls a fault has affected (failed or slowed) since the endpoint started. */
  injected = 0;

  add(input: z.input<typeof FaultSchema>): void {
    const fault = FaultSchema.parse(input);
    this.faults.push({ ...fault, remaining: fault.count ?? Number.POSITIVE_INFINITY });
  }

  /** All faults, or only those set with `match`. */
  clear(match?: string): void {
    this.faults = match === undefined ? [] : this.faults.filter((f) => f.match !== match);
  }

  list(): Fault[] {
    return this.faults.map(({ remaining, ...f }) => ({ ...f, count: Number.isFinite(remaining) ? remaining : undefined }));
  }

  /** The ErrorCode a `document-error` fault gives this document of a batch, if any (it counts as one use). */
  documentError(operation: string, text: string): string | undefined {
    const fault = this.faults.find(
      (f) => f.kind === "document-error" && f.remaining > 0 && (f.operation === "*" || f.operation === operation || f.operation === `comprehend:${operation}`) && (f.match === undefined || text.includes(f.match)),
    );
    if (!fault) return undefined;
    fault.remaining--;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return fault.errorCode;
  }

  /** Whether a `job-failure` fault ends the job being started (it counts as one use). */
  jobFailure(): boolean {
    const fault = this.faults.find((f) => f.kind === "job-failure" && f.remaining > 0);
    if (!fault) return false;
    fault.remaining--;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return true;
  }

  /** Applies the faults that match this call: waits for latency, throws the first failure. */
  async apply(service: string, operation: string, body: Buffer): Promise<void> {
    const matching = this.faults.filter(
      (f) =>
        f.kind !== "document-error" &&
        f.kind !== "job-failure" &&
        f.remaining > 0 &&
        (f.operation === "*" || f.operation === operation || f.operation === `${service}:${operation}` || f.operation === `${service}:*`) &&
        (f.match === undefined || body.includes(f.match)) &&
        (f.probability === 1 || Math.random() < f.probability),
    );
    if (matching.length > 0) this.injected++;
    let failure: AwsError | ConnectionReset | undefined;
    for (const f of matching) {
      if (f.kind === "latency") {
        f.remaining--;
        await new Promise((r) => setTimeout(r, f.latencyMs));
      } else if (!failure) {
        f.remaining--;
        const names = SERVICE_ERRORS[service] ?? SERVICE_ERRORS.comprehend!;
        failure =
          f.kind === "reset"
            ? new ConnectionReset()
            : f.kind === "throttle"
              ? new AwsError(names.throttle[0], names.throttle[1], "Rate exceeded (injected fault)")
              : new AwsError(f.status, names.error, "Internal failure (injected fault)");
      }
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    if (failure) throw failure;
  }
}
