/**
 * The files a job works with under processed/<job_id>/work/. The upload is cut into parts
 * (plan-upload: parts.json), each prepared on its own (prepare: p-NNNNN), then put together
 * (collect-parts: manifest.json, batches.json, comprehend-jobs.json) for the analysis and
 * aggregate steps. A document is a distinct text part of one language, numbered within its
 * language in its part (its `seq`): identical texts in a part are analysed once. Two routes:
 * - fast: documents in batch files of at most 25 of one language (work/batches/p-NNNNN/), each
 *   the input of one child execution of the Distributed Map (BatchDetectSentiment), its answer
 *   beside it (work/results/);
 * - async: documents one per line in part files per language, cut into Comprehend sentiment jobs
 *   within the jobs' quotas (work/comprehend/input/<lang>/p-NNNNN-job-NNN/), each job's
 *   output.tar.gz under work/comprehend/output/<lang>/p-NNNNN-job-NNN/; a language with too few
 *   documents for a job of its own goes in batch files as on the fast route.
 * Items (one per input row: its line, place, id, documents and their weights) are JSON lines in
 * parts (work/items/p-NNNNN/), read back in order when the results are joined: each part's by
 * aggregate-part (work/results-parts/p-NNNNN.*), then joined into the job's results by aggregate.
 */
import type { BatchSentimentAnswer, SentimentLanguage } from "../../../shared/comprehend.ts";
import { S3_PREFIXES } from "../../../shared/jobs.ts";
import type { ItemError } from "../../../shared/pipeline/item-errors.ts";
import type { LanguageSource } from "../../../shared/pipeline/language.ts";
import type { PiiSummary } from "../../../shared/pipeline/text.ts";

export type WorkRoute = "fast" | "async";

export interface WorkItem {
  /** The input line the row starts on. */
  line: number;
  /** Its place among the part's rows, and the id it gave (without one, its place in the whole file is its id). */
  row: number;
  id?: string;
  /** The documents (seq within the item's language) of this item's parts, and each part's length (its weight). */
  docs: number[];
  weights: number[];
  language_code?: SentimentLanguage;
  language_source?: LanguageSource;
  pii_types: PiiSummary["types"];
  error?: ItemError;
}

export interface LanguageDocs {
  language: SentimentLanguage;
  /** Documents of this language (seq 0 .. docs-1). */
  docs: number;
  /** Comprehend's billing units for them (100 characters a unit, at least 3 a document). */
  units: number;
  /** The first seq of each Comprehend input part file, numbered across the language's jobs (the File of Comprehend's output lines). */
  parts: number[];
  /** How many Comprehend jobs its documents were cut into; documents in none are in batch files. */
  jobs: number;
}

/** What one part of the upload holds, as prepare left it. */
export interface PartManifest {
  index: number;
  /** Rows read (the place of the last: rows that give no id are numbered from the part's first). */
  rows: number;
  item_count: number;
  item_parts: number;
  languages: LanguageDocs[];
  batch_files: number;
  /**
   * Why the part cannot be analysed (the whole job fails with it): the file cannot be read, it
   * bills past its reservation, or the part failed past its retries (the error's name and message).
   */
  failure?: { name: string; message: string };
}

/** The job's manifest: its parts in the upload's order, each with the rows before it. */
export interface WorkManifest {
  route: WorkRoute;
  started_at: string;
  item_count: number;
  parts: (Omit<PartManifest, "failure"> & { rows_before: number })[];
}

/** A fast-route batch: at most 25 documents of one language, seq `first` onwards. */
export interface WorkBatch {
  language: SentimentLanguage;
  first: number;
  texts: string[];
}

export interface WorkBatchResult extends BatchSentimentAnswer {
  language: SentimentLanguage;
  first: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

export const workKeys = (jobId: string) => {
  const work = `${S3_PREFIXES.processed}${jobId}/work/`;
  return {
    /** The job's manifest (collect-parts): its parts, in order, and what each holds. */
    manifest: `${work}manifest.json`,
    /** The upload's parts (plan-upload): the PrepareParts Map's ItemReader. */
    partsPlan: `${work}parts.json`,
    batchesPrefix: `${work}batches/`,
    /** Every batch file of the job as a JSON array of `{"Key"}`: the AnalyzeBatches Map's ItemReader. */
    batchesManifest: `${work}batches.json`,
    /** Every Comprehend job to start (ComprehendJobSpec[]): the AnalyzeWithComprehendJobs Map's ItemReader. */
    comprehendJobsManifest: `${work}comprehend-jobs.json`,
    /** Every part as `{job_id, index}`: the AggregateParts Map's ItemReader. */
    aggregateParts: `${work}aggregate-parts.json`,
    mapResultsPrefix: `${work}map-runs/`,
    part: (index: number) => partKeys(work, `p-${pad(index, 5)}`),
  };
};

/**
 * One part's files. The part's name comes after each kind's folder (items/, batches/,
 * comprehend/input/<lang>/), so the roles' grants by folder hold for every part.
 */
function partKeys(work: string, part: string) {
  return {
    /** What the part holds (prepare): rows, items, documents per language, batch files. */
    manifest: `${work}parts/${part}.json`,
    itemsPart: (index: number) => `${work}items/${part}/part-${pad(index, 5)}.jsonl`,
    /** The part's batch files as a JSON array of `{"Key"}`. */
    batchesManifest: `${work}batches/${part}.json`,
    batch: (language: string, first: number) => `${work}batches/${part}/${language}/${pad(first, 9)}.json`,
    /** A Comprehend job's input: every part file under it. */
    comprehendInput: (language: string, job: number) => `${work}comprehend/input/${language}/${part}-job-${pad(job, 3)}/`,
    comprehendInputPart: (language: string, job: number, index: number) => `${work}comprehend/input/${language}/${part}-job-${pad(job, 3)}/part-${pad(index, 5)}.txt`,
    comprehendOutput: (language: string, job: number) => `${work}comprehend/output/${language}/${part}-job-${pad(job, 3)}/`,
    /** Every job's output of a language in this part. */
    comprehendOutputs: (language: string) => `${work}comprehend/output/${language}/${part}-`,
    /** The part's rows' results (aggregate-part; a job of several parts), joined by aggregate. */
    results: `${work}results-parts/${part}.jsonl`,
    resultsCsv: `${work}results-parts/${part}.csv`,
    /** The part's summary counts (aggregate-part), merged by aggregate. */
    summary: `${work}results-parts/${part}.summary.json`,
  };
}
export type PartKeys = ReturnType<typeof partKeys>;

/** Where a batch file's answer is written (work/batches/... -> work/results/...). */
export const batchResultKey = (batchKey: string) => batchKey.replace("/work/batches/", "/work/results/");

/** The part file a Comprehend output line names (its `File`), back to its index. */
export function partIndexOfFile(file: string): number | undefined {
  const m = /part-(\d{5})\.txt$/.exec(file);
  return m ? Number(m[1]) : undefined;
}

/** What the AggregateParts Map hands each child: an entry of work/aggregate-parts.json. */
export interface AggregatePartWork {
  job_id: string;
  index: number;
}

/** What the Distributed Map hands each child of the fast route: an entry of the batches manifest. */
export interface BatchListing {
  Key: string;
}
