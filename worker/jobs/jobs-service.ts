/**
 * Batch jobs at the edge: a job's row is written (PENDING, owned by the caller's tenant) before
 * its payload is uploaded under uploads/, whose arrival starts the state machine. An upload that
 * fails marks the row FAILED and the caller gets 503: never a PENDING row without its upload,
 * never an upload without its row. Idempotency keys return the same job for the same body.
 */
import { sha256Hex } from "../../shared/hash.ts";
import { JOB_FORMATS, JOB_RETENTION_DAYS, jobPk, processedKeys, uploadKey, type JobFormat, type JobRow, type ResultsFormat } from "../../shared/jobs.ts";
import type { AsyncOptions } from "../../shared/schemas.ts";
import { Deadline } from "../aws/deadline.ts";
import type { DynamoDbClient } from "../aws/dynamodb.ts";
import { AwsCallError } from "../aws/json-protocol.ts";
import type { S3Client } from "../aws/s3.ts";
import type { StepFunctionsClient } from "../aws/step-functions.ts";
import { ApiError, apiErrorOf } from "../errors.ts";

const STORAGE_BUDGET_MS = 10_000;
const JOB_STORAGE = "Job storage";

export interface Submission {
  /** The new job's id (newJobId): its spend is admitted under this id before the job is made. */
  jobId: string;
  tenantId: string;
  format: JobFormat;
  /** The body, stored now; or, for a file the caller uploads itself, its size and the URL's life. */
  payload: string | { bytes: number; urlSeconds: number };
  options: AsyncOptions;
  sourceId?: string;
  idempotencyKey?: string;
  /** The units the job was charged at submission, the most it may bill. */
  unitsReserved: number;
}

/** A new job id: 128 random bits. */
export const newJobId = () => `job_${crypto.randomUUID().replace(/-/g, "")}`;

export interface PresignedUpload {
  url: string;
  method: "PUT";
  headers: Record<string, string>;
  expires_at: string;
}

export class JobsService {
  constructor(
    private readonly deps: {
      dynamo: DynamoDbClient;
      s3: S3Client;
      /** Starts each upload job's deadline (the stack's upload-deadline state machine). */
      stepFunctions: StepFunctionsClient;
      uploadDeadline: { stateMachineArn: string; graceSeconds: number };
      table: string;
      now?: () => Date;
    },
  ) {}

  /** The new (or, for a repeated idempotency key, the earlier) job. */
  async submit(submission: Submission): Promise<{ job: JobRow; replayed: boolean }> {
    const deadline = new Deadline(STORAGE_BUDGET_MS);
    const now = (this.deps.now ?? (() => new Date()))();
    const { jobId } = submission;
    const upload = typeof submission.payload === "string" ? undefined : submission.payload;
    const body = upload ? `upload of ${upload.bytes} bytes` : (submission.payload as string);
    const bodySha = sha256Hex(`${submission.format}\n${JSON.stringify(submission.options)}\n${submission.sourceId ?? ""}\n${body}`);

    if (submission.idempotencyKey) {
      const earlier = await this.claimIdempotencyKey(submission, jobId, bodySha, deadline);
      if (earlier) return { job: upload ? earlier : await this.healReplayed(earlier, body, submission.format, deadline), replayed: true };
    }

    const job: JobRow = {
      pk: jobPk(jobId),
      job_id: jobId,
      tenant_id: submission.tenantId,
      status: upload ? "AWAITING_UPLOAD" : "PENDING",
      format: submission.format,
      created_at: now.toISOString(),
      upload_key: uploadKey(jobId, now),
      ...(upload ? uploadWindow(now, upload.urlSeconds, this.deps.uploadDeadline.graceSeconds, upload.bytes) : {}),
      options: {
        pii: submission.options.pii,
        language_code: submission.options.language_code,
        default_language: submission.options.default_language,
        callback_url: submission.options.callback_url,
      },
      source_id: submission.sourceId,
      idempotency_key: submission.idempotencyKey,
      body_sha256: bodySha,
      units_reserved: submission.unitsReserved,
      expires_at: Math.floor(now.getTime() / 1000) + JOB_RETENTION_DAYS * 86_400,
    };
    await this.storage(() => this.deps.dynamo.putItem(this.deps.table, job as never, deadline, true));
    // The caller uploads the file itself: its arrival starts the job, as a stored body does, and
    // AWS keeps its deadline. Without a deadline the job could wait forever: then it is not made.
    if (upload) {
      try {
        await this.deps.stepFunctions.startExecution(this.deps.uploadDeadline.stateMachineArn, jobId, { job_id: jobId, deadline: job.upload_deadline_at }, deadline);
      } catch {
        await this.markFailed(job, { code: "UPLOAD_DEADLINE_FAILED", message: "the upload's deadline could not be set" });
        throw new ApiError("SERVICE_UNAVAILABLE", "The job could not be created; try again.", { retryAfter: 5, upstream: "StepFunctions" });
      }
      return { job, replayed: false };
    }
    await this.storePayload(job, body, submission.format, deadline);
    return { job, replayed: false };
  }

  /** The payload under the job's upload key (its arrival starts the job); on failure the job is FAILED and the caller told to retry. */
  private async storePayload(job: JobRow, body: string, format: JobFormat, deadline: Deadline): Promise<void> {
    try {
      await this.deps.s3.putObject(job.upload_key, body, JOB_FORMATS[format], deadline);
    } catch {
      // The row must not stay PENDING: nothing will ever pick it up.
      await this.markFailed(job, { code: "UPLOAD_FAILED", message: "the payload could not be stored" });
      throw new ApiError("SERVICE_UNAVAILABLE", "The payload could not be stored; the job was not started. Try again.", { retryAfter: 5, upstream: "S3" });
    }
  }

  /**
   * The retry of a request that was told to try again (503), or never got its answer, finds its
   * job: if no execution has taken it, its payload may never have been stored, so it is stored
   * again (and a job FAILED for that, UPLOAD_FAILED, is PENDING again). The retry then heals the
   * job rather than being handed one that never runs; a second object event starts an execution
   * that finds the job taken.
   */
  private async healReplayed(job: JobRow, body: string, format: JobFormat, deadline: Deadline): Promise<JobRow> {
    const failedToStore = job.status === "FAILED" && job.error?.code === "UPLOAD_FAILED";
    if (!(job.status === "PENDING" && job.prepared_at === undefined) && !failedToStore) return job;
    const pending: JobRow = { ...job, status: "PENDING", error: undefined };
    if (failedToStore) await this.storage(() => this.deps.dynamo.setFields(this.deps.table, { pk: job.pk }, { status: "PENDING" }, deadline));
    await this.storePayload(pending, body, format, deadline);
    return pending;
  }

  /**
   * The URL an AWAITING_UPLOAD job's file goes to: a PUT of exactly its size and content type
   * to its key, until the job's upload_expires_at (a replayed request gets the same deadline).
   */
  async uploadUrl(job: JobRow, now = new Date()): Promise<PresignedUpload> {
    const expiresAt = new Date(job.upload_expires_at!);
    const seconds = Math.max(1, Math.ceil((expiresAt.getTime() - now.getTime()) / 1000));
    const headers = { "content-type": JOB_FORMATS[job.format], "content-length": String(job.upload_bytes) };
    return { url: await this.deps.s3.presignPut(job.upload_key, headers, seconds), method: "PUT", headers, expires_at: expiresAt.toISOString() };
  }

  /** A job that cannot start is FAILED at once, not left waiting for what will never come. */
  private async markFailed(job: JobRow, error: { code: string; message: string }): Promise<void> {
    await this.deps.dynamo
      .setFields(this.deps.table, { pk: job.pk }, { status: "FAILED", error, failed_at: new Date().toISOString() }, new Deadline(STORAGE_BUDGET_MS))
      .catch(() => console.error(JSON.stringify({ level: "error", event: "job_left_waiting", job_id: job.job_id })));
  }

  /** The job if it exists and belongs to `tenantId` (another tenant's job is simply not found). */
  async find(tenantId: string, jobId: string): Promise<JobRow | null> {
    if (!/^job_[0-9a-f]{32}$/.test(jobId)) return null;
    const row = (await this.storage(() => this.deps.dynamo.getItem(this.deps.table, { pk: jobPk(jobId) }, new Deadline(STORAGE_BUDGET_MS)))) as JobRow | null;
    return row && row.tenant_id === tenantId ? row : null;
  }

  /** A URL that reads the completed job's results (JSON lines or CSV) straight from S3 for `seconds`. */
  async resultsUrl(jobId: string, format: ResultsFormat, seconds: number): Promise<string> {
    return this.deps.s3.presignGet(resultsKey(jobId, format), seconds);
  }

  /** The completed job's results (JSON lines or CSV) as a streaming response, or null. */
  async results(jobId: string, format: ResultsFormat, deadline: Deadline): Promise<Response | null> {
    return this.storage(() => this.deps.s3.getObject(resultsKey(jobId, format), deadline));
  }

  /** Whether the tenant's Idempotency-Key has already been claimed (a request with it will be a replay, or a conflict). */
  async idempotencyKeyUsed(tenantId: string, idempotencyKey: string): Promise<boolean> {
    const claim = await this.storage(() => this.deps.dynamo.getItem(this.deps.table, { pk: idempotencyPk(tenantId, idempotencyKey) }, new Deadline(STORAGE_BUDGET_MS)));
    return claim !== null;
  }

  private async claimIdempotencyKey(submission: Submission, jobId: string, bodySha: string, deadline: Deadline): Promise<JobRow | null> {
    const pk = idempotencyPk(submission.tenantId, submission.idempotencyKey!);
    const claim = { pk, job_id: jobId, body_sha256: bodySha, expires_at: Math.floor(Date.now() / 1000) + JOB_RETENTION_DAYS * 86_400 };
    try {
      await this.deps.dynamo.putItem(this.deps.table, claim, deadline, true);
      return null;
    } catch (err) {
      if (!(err instanceof AwsCallError) || err.type !== "ConditionalCheckFailedException") throw apiErrorOf(err, JOB_STORAGE);
    }
    const earlier = (await this.storage(() => this.deps.dynamo.getItem(this.deps.table, { pk }, deadline))) as typeof claim | null;
    if (earlier && earlier.body_sha256 !== bodySha) {
      throw new ApiError("IDEMPOTENCY_CONFLICT", "This Idempotency-Key was used with a different body.", { field: "Idempotency-Key" });
    }
    const job = earlier ? await this.find(submission.tenantId, earlier.job_id) : null;
    if (job) return job;
    // The earlier attempt never wrote its job: this one takes the key over.
    await this.storage(() => this.deps.dynamo.putItem(this.deps.table, claim, deadline));
    return null;
  }

  private async storage<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw apiErrorOf(err, JOB_STORAGE);
    }
  }
}

/** An upload job's window: the URL's expiry, and the deadline (expiry plus grace) after which it ends UPLOAD_EXPIRED. */
function uploadWindow(now: Date, urlSeconds: number, graceSeconds: number, bytes: number): Pick<JobRow, "upload_bytes" | "upload_expires_at" | "upload_deadline_at"> {
  const expires = now.getTime() + urlSeconds * 1000;
  return { upload_bytes: bytes, upload_expires_at: new Date(expires).toISOString(), upload_deadline_at: new Date(expires + graceSeconds * 1000).toISOString() };
}

const idempotencyPk = (tenantId: string, idempotencyKey: string) => `idem#${tenantId}#${sha256Hex(idempotencyKey)}`;

const resultsKey = (jobId: string, format: ResultsFormat) => (format === "csv" ? processedKeys(jobId).resultsCsv : processedKeys(jobId).results);
