/**
 * Comprehend's asynchronous sentiment jobs (Start/Describe/List/StopSentimentDetectionJob) over
 * the endpoint's own S3, as AWS runs them: the caller needs iam:PassRole on the job's data-access
 * role (checked with the other IAM actions, iam/authorizer.ts), and the job then reads its input
 * and writes its output as that role, through the endpoint, so the role's policies from the stack
 * decide what it may touch. A job goes SUBMITTED -> IN_PROGRESS -> COMPLETED (or FAILED with a
 * Message, or STOP_REQUESTED -> STOPPED); an account runs at most 10 at once (more:
 * TooManyRequestsException); a repeated ClientRequestToken answers the same job. Each input line
 * (ONE_DOC_PER_LINE) is analysed by the embedded engine; the output is
 * <OutputDataConfig.S3Uri><account>-SENTIMENT-<JobId>/output/output.tar.gz holding one JSON line
 * per input line (File, Line, Sentiment, SentimentScore; or ErrorCode, ErrorMessage).
 * The input quotas are AWS's (SENTIMENT_JOB_QUOTAS: at most 1,000,000 lines and 5 GB, at least
 * 500 bytes): a job over them ends FAILED with a Message, its output never written.
 * Faults: `job-failure` on StartSentimentDetectionJob ends the next jobs FAILED; `document-error`
 * gives matching documents an error line.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { createGzip } from "node:zlib";
import { once } from "node:events";
import { GetObjectCommand, S3Client, paginateListObjectsV2 } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { pack } from "tar-stream";
import { lines, utf8Chunks } from "../../../shared/batch-input.ts";
import { MAX_SENTIMENT_BYTES, SENTIMENT_JOB_QUOTAS, SENTIMENT_LANGUAGES, billingUnits, utf8Bytes, type SentimentJobQuotas } from "../../../shared/comprehend.ts";
import { analyzeSentiment } from "../../../shared/engine/sentiment/index.ts";
import { AwsError } from "../protocol.ts";
import type { Usage } from "../usage.ts";

/** Comprehend's quota: concurrent active jobs of one type per account. */
export const MAX_ACTIVE_JOBS = 10;

type JobStatus = "SUBMITTED" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "STOP_REQUESTED" | "STOPPED";

interface Job {
  JobId: string;
  JobArn: string;
  JobName?: string;
  JobStatus: JobStatus;
  Message?: string;
  SubmitTime: number;
  EndTime?: number;
  InputDataConfig: { S3Uri: string; InputFormat: string };
  OutputDataConfig: { S3Uri: string };
  DataAccessRoleArn: string;
  LanguageCode: string;
  token?: string;
}

export interface SentimentJobsOptions {
  region: string;
  account: string;
  usage: Usage;
  /** An S3 client signed as the role with this ARN (the endpoint checks its calls), or undefined if no such role exists. */
  s3AsRole: (roleArn: string) => S3Client | undefined;
  /** Consumes one `job-failure` fault: this job ends FAILED. */
  injectedFailure: () => boolean;
  documentError?: (operation: string, text: string) => string | undefined;
  /** How long a job stays SUBMITTED before it runs (AWS: minutes; locally a moment). */
  queuedMs?: number;
  /** Input quotas over AWS's (tests lower them to reach them). */
  quotas?: Partial<SentimentJobQuotas>;
}

const isActive = (status: JobStatus) => status === "SUBMITTED" || status === "IN_PROGRESS" || status === "STOP_REQUESTED";

export class SentimentJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<void>>();
  private readonly quotas: SentimentJobQuotas;

  constructor(private readonly options: SentimentJobsOptions) {
    this.quotas = { ...SENTIMENT_JOB_QUOTAS, ...options.quotas };
  }

  handle(operation: string, body: Record<string, unknown>): unknown {
    switch (operation) {
      case "StartSentimentDetectionJob":
        return this.start(body);
      case "DescribeSentimentDetectionJob":
        return { SentimentDetectionJobProperties: this.view(this.find(body.JobId)) };
      case "ListSentimentDetectionJobs": {
        const filter = (body.Filter ?? {}) as { JobStatus?: string; JobName?: string };
        const list = [...this.jobs.values()].filter((j) => (!filter.JobStatus || j.JobStatus === filter.JobStatus) && (!filter.JobName || j.JobName === filter.JobName));
        return { SentimentDetectionJobPropertiesList: list.map((j) => this.view(j)) };
      }
      case "StopSentimentDetectionJob": {
        const job = this.find(body.JobId);
        if (!isActive(job.JobStatus)) throw new AwsError(400, "InvalidRequestException", `Job ${job.JobId} is ${job.JobStatus} and cannot be stopped`);
        job.JobStatus = "STOP_REQUESTED";
        return { JobId: job.JobId, JobStatus: job.JobStatus };
      }
      default:
        throw new AwsError(400, "UnknownOperationException", `Unknown operation ${operation}`);
    }
  }

  /** Resolves when no job is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private start(body: Record<string, unknown>): unknown {
    const input = body.InputDataConfig as { S3Uri?: unknown; InputFormat?: unknown } | undefined;
    const output = body.OutputDataConfig as { S3Uri?: unknown } | undefined;
    const violations: string[] = [];
    if (typeof input?.S3Uri !== "string" || !/^s3:\/\/[a-z0-9.-]{3,63}(\/.*)?$/.test(input.S3Uri)) violations.push("Value at 'inputDataConfig.s3Uri' failed to satisfy constraint: Member must satisfy regular expression pattern: s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?");
    if (typeof output?.S3Uri !== "string" || !/^s3:\/\/[a-z0-9.-]{3,63}(\/.*)?$/.test(output.S3Uri)) violations.push("Value at 'outputDataConfig.s3Uri' failed to satisfy constraint: Member must satisfy regular expression pattern: s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?");
    if (typeof body.DataAccessRoleArn !== "string" || !/^arn:aws(-[^:]+)?:iam::[0-9]{12}:role\/.+$/.test(body.DataAccessRoleArn)) violations.push("Value at 'dataAccessRoleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+");
    if (typeof body.LanguageCode !== "string") violations.push("Value null at 'languageCode' failed to satisfy constraint: Member must not be null");
    if (violations.length) throw new AwsError(400, "ValidationException", `${violations.length} validation error${violations.length > 1 ? "s" : ""} detected: ${violations.join("; ")}`);
    const format = (input!.InputFormat as string | undefined) ?? "ONE_DOC_PER_FILE";
    if (format !== "ONE_DOC_PER_LINE") throw new AwsError(400, "InvalidRequestException", "Only ONE_DOC_PER_LINE input is supported by the local endpoint");
    if (!(SENTIMENT_LANGUAGES as readonly string[]).includes(body.LanguageCode as string)) {
      throw new AwsError(400, "UnsupportedLanguageException", `The language code '${String(body.LanguageCode)}' is not supported for this operation`);
    }
    const token = typeof body.ClientRequestToken === "string" ? body.ClientRequestToken : undefined;
    const known = token ? [...this.jobs.values()].find((j) => j.token === token) : undefined;
    if (known) return { JobId: known.JobId, JobArn: known.JobArn, JobStatus: known.JobStatus };
    const client = this.options.s3AsRole(body.DataAccessRoleArn as string);
    if (!client) throw new AwsError(400, "InvalidRequestException", `Comprehend could not assume the data access role ${String(body.DataAccessRoleArn)}`);
    if ([...this.jobs.values()].filter((j) => isActive(j.JobStatus)).length >= MAX_ACTIVE_JOBS) {
      throw new AwsError(400, "TooManyRequestsException", `You have reached the limit of ${MAX_ACTIVE_JOBS} concurrent active sentiment detection jobs`);
    }
    const JobId = crypto.randomUUID().replace(/-/g, "");
    const outputPrefix = (output!.S3Uri as string).endsWith("/") ? (output!.S3Uri as string) : `${output!.S3Uri as string}/`;
    const job: Job = {
      JobId,
      JobArn: `arn:aws:comprehend:${this.options.region}:${this.options.account}:sentiment-detection-job/${JobId}`,
      JobName: typeof body.JobName === "string" ? body.JobName : undefined,
      JobStatus: "SUBMITTED",
      SubmitTime: Date.now() / 1000,
      InputDataConfig: { S3Uri: input!.S3Uri as string, InputFormat: format },
      OutputDataConfig: { S3Uri: `${outputPrefix}${this.options.account}-SENTIMENT-${JobId}/output/output.tar.gz` },
      DataAccessRoleArn: body.DataAccessRoleArn as string,
      LanguageCode: body.LanguageCode as string,
      token,
    };
    this.jobs.set(JobId, job);
    const fail = this.options.injectedFailure();
    const run = this.run(job, client, fail).finally(() => this.running.delete(run));
    this.running.add(run);
    return { JobId, JobArn: job.JobArn, JobStatus: job.JobStatus };
  }

  private find(id: unknown): Job {
    const job = typeof id === "string" ? this.jobs.get(id) : undefined;
    if (!job) throw new AwsError(400, "JobNotFoundException", `Job ${String(id)} not found`);
    return job;
  }

  private view(job: Job) {
    const { token: _token, ...visible } = job;
    return visible;
  }

  private async run(job: Job, s3: S3Client, injectedFailure: boolean): Promise<void> {
    const end = (status: JobStatus, message?: string) => {
      job.JobStatus = status;
      if (message) job.Message = message;
      job.EndTime = Date.now() / 1000;
    };
    await new Promise((r) => setTimeout(r, this.options.queuedMs ?? 100));
    if (job.JobStatus === "STOP_REQUESTED") return end("STOPPED");
    job.JobStatus = "IN_PROGRESS";
    if (injectedFailure) return end("FAILED", "INTERNAL_SERVER_ERROR: The job failed (injected fault)");
    const dir = await mkdtemp(join(tmpdir(), "comprehend-job-"));
    try {
      const outcome = await this.analyse(job, s3, join(dir, "output"));
      if (outcome === "stopped") return end("STOPPED");
      if (outcome !== "ok") return end("FAILED", outcome);
      await this.writeOutput(job, s3, join(dir, "output"));
      end("COMPLETED");
    } catch (err) {
      end("FAILED", `INTERNAL_SERVER_ERROR: ${(err as Error).name}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Every line of every input object, analysed into a local file of output lines. */
  private async analyse(job: Job, s3: S3Client, outputFile: string): Promise<"ok" | "stopped" | string> {
    const [bucket, ...rest] = job.InputDataConfig.S3Uri.slice("s3://".length).split("/");
    const prefix = rest.join("/");
    const keys: string[] = [];
    let bytes = 0;
    try {
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
        for (const o of page.Contents ?? []) {
          if (!o.Key || o.Key.endsWith("/")) continue;
          keys.push(o.Key);
          bytes += o.Size ?? 0;
        }
      }
    } catch {
      return "NO_READ_ACCESS_TO_INPUT: The provided data access role does not have proper access to the input data.";
    }
    if (keys.length === 0) return "INPUT_DATA_NOT_FOUND: No input data was found at the input S3 location.";
    const { maxBytes, minBytes, maxDocuments } = this.quotas;
    const out = createWriteStream(outputFile);
    // A job ended part way destroys its file: a write still in flight then fails, and does not matter.
    out.on("error", () => {});
    let analysed = 0;
    // Billed when the job completes: a job refused part way (a quota) bills nothing.
    const billed = { units: [] as number[], characters: 0 };
    for (const key of keys) {
      let body: AsyncIterable<Uint8Array>;
      try {
        body = (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as AsyncIterable<Uint8Array>;
      } catch {
        out.destroy();
        return "NO_READ_ACCESS_TO_INPUT: The provided data access role does not have proper access to the input data.";
      }
      // The sizes are judged once the input can be read.
      if (key === keys[0] && (bytes > maxBytes || bytes < minBytes)) {
        out.destroy();
        (body as unknown as { destroy?: () => void }).destroy?.();
        return bytes > maxBytes
          ? `INPUT_SIZE_EXCEEDED: The total size of the input data (${bytes} bytes) exceeds the limit of ${maxBytes} bytes.`
          : `INPUT_SIZE_TOO_SMALL: The total size of the input data (${bytes} bytes) is below the minimum of ${minBytes} bytes.`;
      }
      const file = key.split("/").pop()!;
      for await (const { line, text } of lines(utf8Chunks(body))) {
        if (analysed === maxDocuments) {
          out.destroy();
          return `DOCUMENT_COUNT_EXCEEDED: The input data has more than ${maxDocuments} documents (lines, ONE_DOC_PER_LINE); the limit is ${maxDocuments}.`;
        }
        const Line = line - 1;
        let record: Record<string, unknown>;
        const injected = this.options.documentError?.("StartSentimentDetectionJob", text);
        if (utf8Bytes(text) > MAX_SENTIMENT_BYTES) {
          record = { File: file, Line, ErrorCode: "DOCUMENT_SIZE_EXCEEDED", ErrorMessage: `Document size exceeds maximum size limit ${MAX_SENTIMENT_BYTES} bytes.` };
        } else if (injected) {
          record = { File: file, Line, ErrorCode: injected, ErrorMessage: "The document could not be processed (injected fault)" };
        } else {
          const answer = analyzeSentiment(text, job.LanguageCode);
          record = { File: file, Line, Sentiment: answer.Sentiment, SentimentScore: answer.SentimentScore };
          billed.units.push(billingUnits(text));
          billed.characters += [...text].length;
        }
        if (!out.write(JSON.stringify(record) + "\n")) await once(out, "drain");
        // Stay responsive to the other services while a long job runs.
        if (++analysed % 500 === 0) {
          await new Promise((r) => setImmediate(r));
          if (job.JobStatus === "STOP_REQUESTED") {
            out.destroy();
            return "stopped";
          }
        }
      }
    }
    out.end();
    await once(out, "finish");
    this.options.usage.recordDocuments(billed.units, billed.characters);
    return "ok";
  }

  /** output.tar.gz with one entry, `output`, streamed from the local file to S3 as the role. */
  private async writeOutput(job: Job, s3: S3Client, outputFile: string): Promise<void> {
    const [bucket, ...key] = job.OutputDataConfig.S3Uri.slice("s3://".length).split("/");
    const archive = pack();
    const gz = archive.pipe(createGzip()).pipe(new PassThrough());
    const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: key.join("/"), Body: gz, ContentType: "application/gzip" }, partSize: 5 * 1024 * 1024, queueSize: 1 });
    const done = upload.done();
    const { size } = await stat(outputFile);
    const entry = archive.entry({ name: "output", size });
    for await (const chunk of createReadStream(outputFile)) {
      if (!entry.write(chunk)) await once(entry, "drain");
    }
    await new Promise<void>((resolve) => entry.end(resolve));
    archive.finalize();
    await done;
  }
}
