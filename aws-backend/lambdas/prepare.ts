/**
 * prepare: one part of an upload (plan-upload cut it; the PrepareParts Distributed Map runs one
 * of these per part) becomes its analysis inputs, on the shared text pipeline, streamed: the
 * part's bytes are read chunk by chunk (a CSV part after the first with the header in front) and
 * parsed row by row (a malformed row is that row's error), each text prepared (PII, normalise),
 * its language found in-process (given, or detected as the Worker does: no Comprehend call to
 * learn it), cut into parts Comprehend accepts at sentence bounds, and each distinct part of a
 * language kept once for the part (TextIndex). Memory holds the current batch or input part of
 * each language and the de-duplication table, never the file.
 *
 * The route (plan-upload chose it from the upload's size): fast, batch files for the Distributed
 * Map's BatchDetectSentiment children; async, one-document-a-line input parts for Comprehend
 * sentiment jobs, per language as many as the jobs' quotas need, a language too small for a job
 * in batch files. What the part holds goes in its manifest (work/parts/p-NNNNN.json), which
 * collect-parts puts together; a file that cannot be read, or bills past its reservation, is
 * written there as the part's failure, so the job fails with its own code.
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { readJobRows, InvalidInputError, utf8Chunks } from "../../shared/batch-input.ts";
import { MAX_BATCH_DOCUMENTS, billingUnits, utf8Bytes, type SentimentLanguage } from "../../shared/comprehend.ts";
import { sentimentParts } from "../../shared/pipeline/documents.ts";
import { itemErrors } from "../../shared/pipeline/item-errors.ts";
import { languageOf } from "../../shared/pipeline/language.ts";
import { prepareText } from "../../shared/pipeline/text.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { JobNotFoundError, UnitsOverReservationError, lambdaErrorMessage } from "./errors.ts";
import { countProgress, getJob, writeObject } from "./storage.ts";
import { workKeys, type LanguageDocs, type PartKeys, type PartManifest, type WorkBatch, type WorkItem, type WorkRoute } from "./work/layout.ts";
import { PartWriter } from "./work/part-writer.ts";
import { TextIndex } from "./work/text-index.ts";
import type { UploadPart } from "./work/upload-parts.ts";

/** One part to prepare: an entry of plan-upload's parts.json, the PrepareParts Map's item. */
export interface PartWork extends UploadPart {
  job_id: string;
  bucket: string;
  key: string;
  route: WorkRoute;
  /** CSV: the header's bytes [0, header_end), read in front of every part after the first, and the lines it takes. */
  header_end: number;
  header_lines: number;
  /** Set when the part failed past its retries (the child's Catch): only its manifest is written, saying why. */
  failure?: { Error?: string; Cause?: string };
}

/** The size of an async input part and of an items part. */
const PART_BYTES = 4 * 1024 * 1024;

export async function prepare(deps: BatchDeps, part: PartWork): Promise<{ index: number; item_count: number }> {
  if (part.failure) return recordFailure(deps, part, part.failure);
  const job = await getJob(deps, part.job_id);
  if (!job) throw new JobNotFoundError(`no job row for ${part.job_id}`);
  const keys = workKeys(part.job_id).part(part.index);
  const output = part.route === "fast" ? new FastBatches(deps, keys, job.units_reserved) : new AsyncInputs(deps, keys, job.units_reserved);
  const items = new PartWriter((i, body) => writeObject(deps, keys.itemsPart(i), body, "application/x-ndjson"), PART_BYTES);
  const index = new TextIndex();
  // A part after the first is read with the CSV header in front: its rows' lines are the file's.
  const withHeader = part.index > 0 && part.header_end > 0;
  const lineOffset = part.first_line - 1 - (withHeader ? part.header_lines : 0);
  let rows = 0;
  let failure: PartManifest["failure"];
  try {
    for await (const row of readJobRows(job.format, utf8Chunks(partBytes(deps, part, withHeader)))) {
      rows = row.row;
      const item: WorkItem = { line: row.line + lineOffset, row: row.row, docs: [], weights: [], pii_types: {} };
      if (row.id !== undefined) item.id = row.id;
      if ("error" in row) {
        item.error = itemErrors.invalidRow(row.error);
        await items.add(JSON.stringify(item));
        continue;
      }
      const { analysed, pii } = prepareText(row.text, job.options.pii);
      item.pii_types = pii.types;
      if (!analysed) {
        item.error = itemErrors.emptyText();
      } else {
        const choice = languageOf(analysed, job.options.language_code, job.options.default_language);
        item.language_code = choice.language;
        item.language_source = choice.source;
        for (const text of sentimentParts(analysed, choice.language)) {
          item.docs.push(await output.documentOf(choice.language, text.text, index));
          item.weights.push(text.weight);
        }
      }
      await items.add(JSON.stringify(item));
    }
  } catch (err) {
    if (!(err instanceof InvalidInputError || err instanceof UnitsOverReservationError)) throw err;
    failure = { name: err.name, message: err.message };
  }
  const { languages, batchFiles } = failure ? { languages: [], batchFiles: 0 } : await output.close();
  const manifest: PartManifest = { index: part.index, rows, item_count: items.count, item_parts: await items.close(), languages, batch_files: batchFiles, ...(failure ? { failure } : {}) };
  await writeObject(deps, keys.manifest, JSON.stringify(manifest));
  await countProgress(deps, part.job_id, { parts_prepared: 1, rows_prepared: items.count });
  return { index: part.index, item_count: items.count };
}

/** A part that failed past its retries: its manifest names the failure (Step Functions' Error, the Lambda's message). */
async function recordFailure(deps: BatchDeps, part: PartWork, failure: NonNullable<PartWork["failure"]>) {
  // A Cause that is not a Lambda's JSON is kept as it is.
  const message = lambdaErrorMessage(failure.Cause) ?? failure.Cause ?? "";
  const manifest: PartManifest = { index: part.index, rows: 0, item_count: 0, item_parts: 0, languages: [], batch_files: 0, failure: { name: failure.Error ?? "Error", message: message.slice(0, 300) } };
  await writeObject(deps, workKeys(part.job_id).part(part.index).manifest, JSON.stringify(manifest));
  return { index: part.index, item_count: 0 };
}

/** The part's bytes, one ranged read (after the header's, for a CSV part after the first). */
async function* partBytes(deps: BatchDeps, part: PartWork, withHeader: boolean): AsyncGenerator<Uint8Array> {
  const read = async (start: number, end: number) =>
    (await deps.s3.send(new GetObjectCommand({ Bucket: part.bucket, Key: part.key, Range: `bytes=${start}-${end - 1}` }))).Body as AsyncIterable<Uint8Array>;
  if (withHeader) yield* await read(0, part.header_end);
  if (part.end > part.start) yield* await read(part.start, part.end);
}

/** The fast Map's batch files (at most 25 documents of one language each), a few written at a time, listed in the batches manifest. */
class BatchFiles {
  private readonly inFlight = new Set<Promise<void>>();
  /** The batch files written, for the manifest (bounded by asyncMinBytes and by small languages: a few thousand). */
  private readonly written: string[] = [];
  constructor(
    private readonly deps: BatchDeps,
    private readonly keys: PartKeys,
  ) {}

  async put(batch: WorkBatch): Promise<void> {
    while (this.inFlight.size >= 8) await Promise.race(this.inFlight);
    const key = this.keys.batch(batch.language, batch.first);
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
    await writeObject(this.deps, this.keys.batchesManifest, JSON.stringify(this.written.map((Key) => ({ Key }))));
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
    protected readonly keys: PartKeys,
    /** The units the job was charged at submission: the most its distinct texts may bill (a part alone past it stops here; collect-parts checks the parts' sum). */
    private readonly unitsReserved = Number.POSITIVE_INFINITY,
  ) {
    this.batches = new BatchFiles(deps, keys);
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
    const key = this.keys.comprehendInputPart;
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

export const handler = lambdaHandler(prepare);
