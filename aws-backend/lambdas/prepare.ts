/**
 * prepare: an upload becomes the job's analysis inputs, on the shared text pipeline, streamed:
 * the object is read chunk by chunk and parsed row by row (a malformed row is that row's error),
 * each text prepared (PII, normalise), its language found in-process (given, or detected as the
 * Worker does: no Comprehend call to learn it), cut into parts Comprehend accepts at sentence
 * bounds, and each distinct part of a language kept once for the whole job (TextIndex). Memory
 * holds the current batch or part of each language and the de-duplication table, never the file.
 *
 * The route is chosen from the object's size before reading it: up to `asyncMinBytes`, batch
 * files for the Distributed Map's BatchDetectSentiment children (fast); above, one-document-a-line
 * input parts for Comprehend sentiment jobs, per language as many as the jobs' quotas need, a
 * language too small for a job in batch files (async).
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { readJobRows, InvalidInputError, utf8Chunks } from "../../shared/batch-input.ts";
import { MAX_BATCH_DOCUMENTS, billingUnits, utf8Bytes, type SentimentLanguage } from "../../shared/comprehend.ts";
import { jobIdOfUploadKey } from "../../shared/jobs.ts";
import { sentimentParts } from "../../shared/pipeline/documents.ts";
import { itemErrors } from "../../shared/pipeline/item-errors.ts";
import { languageOf } from "../../shared/pipeline/language.ts";
import { prepareText } from "../../shared/pipeline/text.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { getJob, updateJob, writeObject } from "./storage.ts";
import { workKeys, type LanguageDocs, type WorkBatch, type WorkItem, type WorkManifest, type WorkRoute } from "./work/layout.ts";
import { PartWriter } from "./work/part-writer.ts";
import { TextIndex } from "./work/text-index.ts";

export interface PrepareInput {
  bucket: string;
  key: string;
  /** The execution's id ($$.Execution.Id): a retry of prepare in the same execution takes the job again. */
  execution?: string;
}

/** One Comprehend sentiment job of the async route (the state machine starts and polls it). */
export interface ComprehendJobSpec {
  job_id: string;
  language: SentimentLanguage;
  input_uri: string;
  output_uri: string;
  /** Idempotency token: a retried start does not start a second job. */
  token: string;
  name: string;
}

export interface PrepareOutput {
  job_id: string;
  /** Another execution already took this job (S3 and EventBridge deliver at least once). */
  duplicate: boolean;
  route: WorkRoute;
  item_count: number;
  doc_count: number;
  /** Batch files for the Distributed Map's BatchDetectSentiment children (fast route; on the async route, languages too small for a job). */
  batch_files: number;
  comprehend_job_count: number;
  /** Units of work the status page counts: batch files and Comprehend jobs. */
  batch_count: number;
  max_concurrency: number;
  /** Child executions of the fast route's Map allowed to fail (their rows fail, not the job). */
  tolerated_failure_percent: number;
  has_callback: boolean;
  bucket: string;
  /** The JSON array of the batch files (`{"Key"}` each) the Distributed Map reads. */
  batches_key: string;
  map_results_prefix: string;
  comprehend_jobs: ComprehendJobSpec[];
}

export class JobNotFoundError extends Error {
  override readonly name = "JobNotFoundError";
}

/** The file's distinct texts would bill more than the job was charged at submission (its declared bytes and items). */
export class UnitsOverReservationError extends Error {
  override readonly name = "UnitsOverReservationError";
  constructor(reserved: number) {
    super(
      `the file's texts would bill more than the ${reserved.toLocaleString("en")} Comprehend units reserved for it at submission; nothing was analysed. Declare its row count as "items" when creating the job`,
    );
  }
}

/** The size of an async input part and of an items part. */
const PART_BYTES = 4 * 1024 * 1024;

export async function prepare(deps: BatchDeps, input: PrepareInput): Promise<PrepareOutput> {
  const jobId = jobIdOfUploadKey(input.key);
  if (!jobId) throw new JobNotFoundError(`not a job upload: ${input.key}`);
  const job = await getJob(deps, jobId);
  if (!job) throw new JobNotFoundError(`no job row for ${jobId}`);
  const keys = workKeys(jobId);
  const started = deps.now().toISOString();
  const base = {
    job_id: jobId,
    max_concurrency: deps.maxConcurrency,
    tolerated_failure_percent: Math.round(deps.maxFailedRowShare * 100),
    has_callback: Boolean(job.options.callback_url),
    bucket: deps.bucket,
    batches_key: keys.batchesManifest,
    map_results_prefix: keys.mapResultsPrefix,
  };
  if (!(await claim(deps, jobId, started, input.execution))) {
    return { ...base, duplicate: true, route: "fast", item_count: 0, doc_count: 0, batch_files: 0, comprehend_job_count: 0, batch_count: 0, comprehend_jobs: [] };
  }

  const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: input.key }));
  const route: WorkRoute = (object.ContentLength ?? 0) > deps.asyncMinBytes ? "async" : "fast";
  const output = route === "fast" ? new FastBatches(deps, jobId, job.units_reserved) : new AsyncInputs(deps, jobId, job.units_reserved);
  const items = new PartWriter((i, body) => writeObject(deps, keys.itemsPart(i), body, "application/x-ndjson"), PART_BYTES);
  const index = new TextIndex();

  for await (const row of readJobRows(job.format, utf8Chunks(object.Body as AsyncIterable<Uint8Array>))) {
    if ("error" in row) {
      await items.add(JSON.stringify({ line: row.line, id: row.id, docs: [], weights: [], pii_types: {}, error: itemErrors.invalidRow(row.error) } satisfies WorkItem));
      continue;
    }
    const { analysed, pii } = prepareText(row.text, job.options.pii);
    const item: WorkItem = { line: row.line, id: row.id, docs: [], weights: [], pii_types: pii.types };
    if (!analysed) {
      item.error = itemErrors.emptyText();
    } else {
      const choice = languageOf(analysed, job.options.language_code, job.options.default_language);
      item.language_code = choice.language;
      item.language_source = choice.source;
      for (const part of sentimentParts(analysed, choice.language)) {
        item.docs.push(await output.documentOf(choice.language, part.text, index));
        item.weights.push(part.weight);
      }
    }
    await items.add(JSON.stringify(item));
  }
  if (items.count === 0) throw new InvalidInputError("no items to analyse");

  const { languages, batchFiles } = await output.close();
  const manifest: WorkManifest = { route, started_at: started, item_count: items.count, item_parts: await items.close(), languages };
  await writeObject(deps, keys.manifest, JSON.stringify(manifest));
  const s3Uri = (key: string) => `s3://${deps.bucket}/${key}`;
  const comprehendJobs = languages.flatMap(({ language, jobs }) =>
    Array.from({ length: jobs }, (_, job) => ({
      job_id: jobId,
      language,
      input_uri: s3Uri(keys.comprehendInput(language, job)),
      output_uri: s3Uri(keys.comprehendOutput(language, job)),
      token: `${jobId}-${language}-${job}`.slice(0, 64),
      name: `aurastream-${jobId}-${language}-${job}`.slice(0, 256),
    })),
  );
  return {
    ...base,
    duplicate: false,
    route,
    item_count: items.count,
    doc_count: languages.reduce((n, l) => n + l.docs, 0),
    batch_files: batchFiles,
    comprehend_job_count: comprehendJobs.length,
    batch_count: batchFiles + comprehendJobs.length,
    comprehend_jobs: comprehendJobs,
  };
}

/** The fast Map's batch files (at most 25 documents of one language each), a few written at a time, listed in the batches manifest. */
class BatchFiles {
  private readonly inFlight = new Set<Promise<void>>();
  /** The batch files written, for the manifest (bounded by asyncMinBytes and by small languages: a few thousand). */
  private readonly written: string[] = [];
  constructor(
    private readonly deps: BatchDeps,
    private readonly jobId: string,
  ) {}

  async put(batch: WorkBatch): Promise<void> {
    while (this.inFlight.size >= 8) await Promise.race(this.inFlight);
    const key = workKeys(this.jobId).batch(batch.language, batch.first);
    this.written.push(key);
    const put = writeObject(this.deps, key, JSON.stringify(batch)).finally(() => this.inFlight.delete(put));
    this.inFlight.add(put);
  }

  /** Documents `first` onwards, 25 to a batch. */
  async putAll(language: SentimentLanguage, first: number, texts: string[]): Promise<void> {
    for (let i = 0; i < texts.length; i += MAX_BATCH_DOCUMENTS) await this.put({ language, first: first + i, texts: texts.slice(i, i + MAX_BATCH_DOCUMENTS) });
  }

  /** Waits for every file and writes the manifest (an empty one too); the number of files. */
  async close(): Promise<number> {
    await Promise.all(this.inFlight);
    await writeObject(this.deps, workKeys(this.jobId).batchesManifest, JSON.stringify(this.written.map((Key) => ({ Key }))));
    return this.written.length;
  }
}

/**
 * Where each language's distinct documents go, numbered within their language in order of first
 * appearance (the job-wide TextIndex says whether a part was seen), with the units they bill.
 */
abstract class DocumentSink<S extends { docs: number; units: number }> {
  protected readonly open = new Map<SentimentLanguage, S>();
  protected readonly batches: BatchFiles;
  private units = 0;
  constructor(
    protected readonly deps: BatchDeps,
    protected readonly jobId: string,
    /** The units the job was charged at submission: the most its distinct texts may bill. */
    private readonly unitsReserved = Number.POSITIVE_INFINITY,
  ) {
    this.batches = new BatchFiles(deps, jobId);
  }

  /** A language's state when its first document comes. */
  protected abstract begin(language: SentimentLanguage): S;
  /** Writes a document seen for the first time. */
  protected abstract write(state: S, language: SentimentLanguage, seq: number, text: string): Promise<void>;
  /** Writes what is left: each language's documents, and the number of batch files. */
  abstract close(): Promise<{ languages: LanguageDocs[]; batchFiles: number }>;

  async documentOf(language: SentimentLanguage, text: string, index: TextIndex): Promise<number> {
    let state = this.open.get(language);
    if (!state) this.open.set(language, (state = this.begin(language)));
    const lang = state;
    let added = false;
    const seq = index.numberOf(`${language}\n${text}`, () => {
      added = true;
      return lang.docs++;
    });
    if (added) {
      const units = billingUnits(text);
      lang.units += units;
      this.units += units;
      // Stopped before any Comprehend call: a job never bills past what its key's plan let it reserve.
      if (this.units > this.unitsReserved) throw new UnitsOverReservationError(this.unitsReserved);
      await this.write(lang, language, seq, text);
    }
    return seq;
  }
}

/** fast: every document in batch files. */
class FastBatches extends DocumentSink<{ docs: number; units: number; batch: WorkBatch }> {
  protected begin(language: SentimentLanguage) {
    return { docs: 0, units: 0, batch: { language, first: 0, texts: [] } };
  }

  protected async write(state: { docs: number; batch: WorkBatch }, language: SentimentLanguage, _seq: number, text: string): Promise<void> {
    state.batch.texts.push(text);
    if (state.batch.texts.length < MAX_BATCH_DOCUMENTS) return;
    await this.batches.put(state.batch);
    state.batch = { language, first: state.docs, texts: [] };
  }

  async close() {
    for (const { batch } of this.open.values()) if (batch.texts.length > 0) await this.batches.put(batch);
    const batchFiles = await this.batches.close();
    return { languages: [...this.open].map(([language, { docs, units }]) => ({ language, docs, units, parts: [], jobs: 0 })), batchFiles };
  }
}

/**
 * Fewer documents than this are not worth a Comprehend job: at most 40 BatchDetectSentiment calls
 * (seconds), where a job takes minutes to start on AWS and one of the account's 10 job slots; and a
 * job's input must reach 500 bytes. So a language's last job that stays this small (all of it still
 * unwritten) goes in batch files instead: a small language, or the tail past a full job.
 */
export const JOB_MIN_DOCUMENTS = 1_000;

interface JobsState {
  docs: number;
  units: number;
  /** The first seq of each input part, across the language's jobs. */
  parts: number[];
  jobs: number;
  /** The current job: its part writer, its first part, its documents and bytes so far. */
  writer?: PartWriter;
  partBase: number;
  jobDocs: number;
  jobBytes: number;
}

/**
 * async: per language, documents one a line in part files (Comprehend's ONE_DOC_PER_LINE input),
 * cut into jobs within StartSentimentDetectionJob's quotas (a million lines, 5 GB).
 */
class AsyncInputs extends DocumentSink<JobsState> {
  protected begin(): JobsState {
    return { docs: 0, units: 0, parts: [], jobs: 0, partBase: 0, jobDocs: 0, jobBytes: 0 };
  }

  protected async write(state: JobsState, language: SentimentLanguage, seq: number, text: string): Promise<void> {
    // Comprehend ends a document at a line break: the document's own breaks become spaces.
    const line = text.replace(/[\r\n]+/g, " ");
    const bytes = utf8Bytes(line) + 1;
    const quotas = this.deps.sentimentJobQuotas;
    if (!state.writer || state.jobDocs >= quotas.maxDocuments || state.jobBytes + bytes > quotas.maxBytes) await this.startJob(state, language);
    // A part starts here when the writer is about to begin a new one.
    if (state.parts.length - state.partBase === state.writer!.parts) state.parts.push(seq);
    state.jobDocs++;
    state.jobBytes += bytes;
    await state.writer!.add(line);
  }

  private async startJob(state: JobsState, language: SentimentLanguage): Promise<void> {
    if (state.writer) await state.writer.close();
    const job = state.jobs++;
    const base = state.parts.length;
    const key = workKeys(this.jobId).comprehendInputPart;
    state.writer = new PartWriter((i, body) => writeObject(this.deps, key(language, job, base + i), body, "text/plain; charset=utf-8"), PART_BYTES);
    state.partBase = base;
    state.jobDocs = 0;
    state.jobBytes = 0;
  }

  async close() {
    const languages: LanguageDocs[] = [];
    for (const [language, state] of this.open) {
      const unwritten = state.jobDocs < JOB_MIN_DOCUMENTS ? state.writer!.takeUnwritten() : undefined;
      if (unwritten) {
        // Too small for a job of its own: batch files, from the job's first document on.
        await this.batches.putAll(language, state.parts[state.partBase]!, unwritten);
        state.parts.length = state.partBase;
        state.jobs--;
      } else {
        await state.writer!.close();
      }
      languages.push({ language, docs: state.docs, units: state.units, parts: state.parts, jobs: state.jobs });
    }
    return { languages, batchFiles: await this.batches.close() };
  }
}

/**
 * Marks the job as taken by this execution; false when another one already has it. The same
 * execution (a retry of prepare after a transient fault) takes it again and starts over.
 */
async function claim(deps: BatchDeps, jobId: string, at: string, execution: string | undefined): Promise<boolean> {
  try {
    await updateJob(deps, jobId, { prepared_at: at, ...(execution ? { prepared_by: execution } : {}) }, undefined, {
      // PENDING (its body came through the Worker) or AWAITING_UPLOAD (its file came): not a job
      // its upload deadline has already ended FAILED, so a late object cannot revive it.
      // The same execution may also find it PROCESSING: started over from the top (the local
      // runner resuming an execution a stopped process left in flight).
      expression: `((#claim_status = :pending OR #claim_status = :awaiting) AND attribute_not_exists(prepared_at))${execution ? " OR (#claimed_by = :execution AND (#claim_status = :pending OR #claim_status = :awaiting OR #claim_status = :processing))" : ""}`,
      names: { "#claim_status": "status", ...(execution ? { "#claimed_by": "prepared_by" } : {}) },
      values: { ":pending": "PENDING", ":awaiting": "AWAITING_UPLOAD", ...(execution ? { ":execution": execution, ":processing": "PROCESSING" } : {}) },
    });
    return true;
  } catch (err) {
    if ((err as Error).name === "ConditionalCheckFailedException") return false;
    throw err;
  }
}

export const handler = lambdaHandler(prepare);
