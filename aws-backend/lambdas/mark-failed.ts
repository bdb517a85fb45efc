/**
 * mark-failed: the Catch of every state. The job becomes FAILED with a code and a message
 * (never the submitted text) and its input is kept under failed/<job_id>/ for a person to see.
 */
import { CopyObjectCommand } from "@aws-sdk/client-s3";
import { failedKey, jobIdOfUploadKey } from "../../shared/jobs.ts";
import { lambdaDeps, type BatchDeps } from "./deps.ts";
import { getJob, updateJob } from "./storage.ts";

export interface MarkFailedInput {
  bucket: string;
  key: string;
  /** Step Functions' error: `Error` (the name) and `Cause` (for a Lambda, JSON with errorMessage). */
  error?: { Error?: string; Cause?: string };
}

/** Error names -> the job's error code. */
export function errorCodeOf(name: string | undefined): string {
  if (name === "InvalidInputError") return "INVALID_INPUT";
  if (name === "JobNotFoundError") return "JOB_NOT_FOUND";
  if (name?.startsWith("Comprehend.")) return name === "Comprehend.ThrottlingException" ? "COMPREHEND_THROTTLED" : "COMPREHEND_ERROR";
  if (name === "States.Timeout") return "TIMEOUT";
  return "PROCESSING_ERROR";
}

export function errorMessageOf(error: MarkFailedInput["error"]): string {
  const code = errorCodeOf(error?.Error);
  if (code === "INVALID_INPUT") {
    try {
      return String((JSON.parse(error?.Cause ?? "{}") as { errorMessage?: string }).errorMessage ?? "the input is not valid").slice(0, 300);
    } catch {
      return "the input is not valid";
    }
  }
  if (code === "COMPREHEND_THROTTLED") return "Comprehend kept throttling the job's requests";
  if (code === "COMPREHEND_ERROR") return `Comprehend failed (${error?.Error?.slice("Comprehend.".length)})`;
  return "the job could not be processed";
}

export async function markFailed(deps: BatchDeps, input: MarkFailedInput): Promise<{ job_id: string | null; code: string }> {
  const jobId = jobIdOfUploadKey(input.key);
  const code = errorCodeOf(input.error?.Error);
  if (!jobId || !(await getJob(deps, jobId))) {
    console.error(JSON.stringify({ level: "error", event: "failed_upload_without_job", key: input.key, code }));
    return { job_id: null, code };
  }
  await deps.s3.send(new CopyObjectCommand({ Bucket: deps.bucket, CopySource: `${deps.bucket}/${input.key}`, Key: failedKey(jobId) }));
  await updateJob(deps, jobId, { status: "FAILED", error: { code, message: errorMessageOf(input.error) }, failed_at: deps.now().toISOString() });
  // The error's name and where it came from, for operators; the cause may quote input, so not it.
  console.error(JSON.stringify({ level: "error", event: "job_failed", job_id: jobId, code, error: input.error?.Error }));
  return { job_id: jobId, code };
}

export const handler = (event: MarkFailedInput) => markFailed(lambdaDeps(), event);
