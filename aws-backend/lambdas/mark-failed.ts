/**
 * mark-failed: the Catch of every state, and the target of the EventBridge rule on the state
 * machine's "Execution Status Change" (FAILED, TIMED_OUT, ABORTED), which ends the job when the
 * execution itself fails past its Catch: a terminal error (States.DataLimitExceeded, the history
 * quota), a timeout, or mark-failed's own retries spent. The job becomes FAILED with a code and
 * a message (never the submitted text) and its input is kept under failed/<job_id>/.
 */
import { CopyObjectCommand } from "@aws-sdk/client-s3";
import { failedKey, jobIdOfUploadKey } from "../../shared/jobs.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { lambdaErrorMessage } from "./errors.ts";
import { getJob, updateJob } from "./storage.ts";

/** What EventBridge delivers for the rule (its `input` is the execution's input, as a string). */
export interface ExecutionStatusChange {
  "detail-type": "Step Functions Execution Status Change";
  detail: { status: string; input?: string; error?: string; cause?: string };
}

export interface MarkFailedInput {
  bucket: string;
  key: string;
  /** Step Functions' error: `Error` (the name) and `Cause` (for a Lambda, JSON with errorMessage). */
  error?: { Error?: string; Cause?: string };
}

/** A service integration's throttling or 5xx that outlasted its state's Retry. */
const TRANSIENT_INTEGRATION_ERROR = /^(DynamoDB|S3)\.(ThrottlingException|ProvisionedThroughputExceededException|InternalServerError(Exception)?|SlowDown|InternalError|SdkClientException)$/;

/** Error names -> the job's error code. */
export function errorCodeOf(name: string | undefined, cause?: string): string {
  if (name === "InvalidInputError") return "INVALID_INPUT";
  if (name === "UnitsOverReservationError") return "UNITS_OVER_RESERVATION";
  if (name === "TooManyFailedRowsError") return "TOO_MANY_FAILED_ROWS";
  if (name === "ComprehendJobFailed") return "COMPREHEND_JOB_FAILED";
  if (name === "PreparePartFailed") return partErrorOf(cause).name === "TransientError" ? "RETRIES_EXHAUSTED" : "PREPARATION_FAILED";
  if (name === "AggregatePartFailed") return "RESULTS_NOT_WRITTEN";
  if (name === "States.ExceedToleratedFailureThreshold") return "TOO_MANY_FAILED_ROWS";
  if (name === "States.DataLimitExceeded") return "PAYLOAD_LIMIT_EXCEEDED";
  if (name === "States.Runtime" && /history/i.test(cause ?? "")) return "HISTORY_LIMIT_EXCEEDED";
  if (name === "JobNotFoundError") return "JOB_NOT_FOUND";
  if (name?.startsWith("Comprehend.")) return name === "Comprehend.ThrottlingException" ? "COMPREHEND_THROTTLED" : "COMPREHEND_ERROR";
  if (name === "States.Timeout") return "TIMEOUT";
  if (name === "TransientError" || name === "States.ItemReaderFailed" || name === "States.ResultWriterFailed" || TRANSIENT_INTEGRATION_ERROR.test(name ?? "")) return "RETRIES_EXHAUSTED";
  return "PROCESSING_ERROR";
}

export function errorMessageOf(error: MarkFailedInput["error"]): string {
  const code = errorCodeOf(error?.Error, error?.Cause);
  if (code === "PAYLOAD_LIMIT_EXCEEDED") return "the job is too large for one execution: a state's data passed Step Functions' 256 KiB quota";
  if (code === "HISTORY_LIMIT_EXCEEDED") return "the job is too large for one execution: it passed Step Functions' 25,000 history events quota";
  if (code === "COMPREHEND_JOB_FAILED") return `a Comprehend sentiment job failed: ${(error?.Cause ?? "no reason given").slice(0, 300)}`;
  if (name_is(error, "States.ExceedToleratedFailureThreshold")) return "more of the job's batches failed than the share of failed rows allowed";
  if (code === "INVALID_INPUT" || code === "TOO_MANY_FAILED_ROWS" || code === "UNITS_OVER_RESERVATION") return (lambdaErrorMessage(error?.Cause) ?? "the input is not valid").slice(0, 300);
  if (code === "PREPARATION_FAILED") return "a part of the file could not be prepared past its retries; nothing was analysed: submitting it again is safe";
  if (code === "RESULTS_NOT_WRITTEN") return "the texts were analysed but a part's results could not be written past its retries; submitting it again is safe";
  if (code === "COMPREHEND_THROTTLED") return "Comprehend kept throttling the job's requests";
  if (code === "RETRIES_EXHAUSTED") return `AWS kept failing past the job's retries (${transientDetail(error)}); nothing was wrong with the input: submitting it again is safe`;
  if (code === "COMPREHEND_ERROR") return `Comprehend failed (${error?.Error?.slice("Comprehend.".length)})`;
  return "the job could not be processed";
}

/** A part's failure as collect-parts reports it (PreparePartFailed: "<name>: <message>"). */
function partErrorOf(cause: string | undefined): { name: string; message: string } {
  // Not a Lambda's JSON (the Map's own failure): no detail.
  const text = lambdaErrorMessage(cause) ?? "";
  const at = text.indexOf(": ");
  return at < 0 ? { name: text, message: "" } : { name: text.slice(0, at), message: text.slice(at + 2) };
}

/** The fault's name and status, as TransientError's message gives them (it never quotes input). */
function transientDetail(error: MarkFailedInput["error"]): string {
  if (error?.Error === "PreparePartFailed") return partErrorOf(error.Cause).message.slice(0, 200) || "a transient fault";
  // A Map Run's own S3 read or write: Step Functions' cause names the fault.
  if (error?.Error === "States.ItemReaderFailed" || error?.Error === "States.ResultWriterFailed") return `${error.Error}: ${error.Cause ?? ""}`.slice(0, 200);
  if (error?.Error !== "TransientError") return error?.Error ?? "a transient fault";
  return (lambdaErrorMessage(error.Cause) ?? "a transient fault").slice(0, 200);
}

const name_is = (error: MarkFailedInput["error"], name: string) => error?.Error === name;

/** The rule's event as the Catch's input: the upload's bucket and key, and the execution's error. */
function fromStatusChange(event: ExecutionStatusChange): MarkFailedInput {
  const input = JSON.parse(event.detail.input ?? "{}") as { detail?: { bucket?: { name?: string }; object?: { key?: string } } };
  const error = event.detail.error ?? (event.detail.status === "TIMED_OUT" ? "States.Timeout" : `States.${event.detail.status}`);
  return { bucket: input.detail?.bucket?.name ?? "", key: input.detail?.object?.key ?? "", error: { Error: error, Cause: event.detail.cause } };
}

export async function markFailed(deps: BatchDeps, event: MarkFailedInput | ExecutionStatusChange): Promise<{ job_id: string | null; code: string }> {
  // From the rule, the job may already have ended (its Catch ran, then the Fail state): leave it.
  const fromRule = "detail-type" in event;
  const input = fromRule ? fromStatusChange(event) : event;
  const jobId = jobIdOfUploadKey(input.key);
  const code = errorCodeOf(input.error?.Error, input.error?.Cause);
  const job = jobId ? await getJob(deps, jobId) : undefined;
  if (!jobId || !job) {
    console.error(JSON.stringify({ level: "error", event: "failed_upload_without_job", key: input.key, code }));
    return { job_id: null, code };
  }
  if (fromRule && (job.status === "FAILED" || job.status === "COMPLETED")) return { job_id: jobId, code: job.error?.code ?? job.status };
  await deps.s3.send(new CopyObjectCommand({ Bucket: deps.bucket, CopySource: `${deps.bucket}/${input.key}`, Key: failedKey(jobId) }));
  await updateJob(deps, jobId, { status: "FAILED", error: { code, message: errorMessageOf(input.error) }, failed_at: deps.now().toISOString() });
  // The error's name and where it came from, for operators; the cause may quote input, so not it.
  console.error(JSON.stringify({ level: "error", event: "job_failed", job_id: jobId, code, error: input.error?.Error }));
  return { job_id: jobId, code };
}

export const handler = lambdaHandler(markFailed);
