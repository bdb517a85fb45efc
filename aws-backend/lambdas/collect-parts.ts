/**
 * collect-parts: after every part is prepared, the job's work put together before any Comprehend
 * call. A part that found the file unreadable fails the job with that error (INVALID_INPUT);
 * the parts' distinct texts together billing more than the job reserved fails it
 * (UNITS_OVER_RESERVATION); no row at all fails it. Otherwise it writes the job's manifest (its
 * parts in order, each with the rows before it, so rows that give no id are numbered across the
 * file), every batch file (batches.json), every Comprehend job to start (comprehend-jobs.json)
 * and every part to join back (aggregate-parts.json), the Maps' ItemReaders, and returns what the
 * state machine decides on.
 */
import { InvalidInputError } from "../../shared/batch-input.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { JobNotFoundError, UnitsOverReservationError } from "./errors.ts";
import type { PartWork } from "./prepare.ts";
import { getJob, readJson, writeObject } from "./storage.ts";
import { workKeys, type AggregatePartWork, type BatchListing, type PartManifest, type WorkManifest, type WorkRoute } from "./work/layout.ts";
import type { SentimentLanguage } from "../../shared/comprehend.ts";

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

export interface CollectPartsOutput {
  job_id: string;
  route: WorkRoute;
  item_count: number;
  doc_count: number;
  /** Batch files for the AnalyzeBatches Map (fast route; on the async route, languages too small for a job). */
  batch_files: number;
  comprehend_job_count: number;
  /** Units of work the status page counts: batch files and Comprehend jobs. */
  batch_count: number;
  max_concurrency: number;
  /** Child executions of the AnalyzeBatches Map allowed to fail (their rows fail, not the job). */
  tolerated_failure_percent: number;
  has_callback: boolean;
  bucket: string;
  batches_key: string;
  comprehend_jobs_key: string;
  aggregate_parts_key: string;
  map_results_prefix: string;
}

/** A part failed past its retries: its error's name and message, for mark-failed to code (a TransientError: RETRIES_EXHAUSTED). */
export class PreparePartFailed extends Error {
  override readonly name = "PreparePartFailed";
  constructor(failure: { name: string; message: string }) {
    super(`${failure.name}: ${failure.message}`);
  }
}

export async function collectParts(deps: BatchDeps, input: { job_id: string }): Promise<CollectPartsOutput> {
  const job = await getJob(deps, input.job_id);
  if (!job) throw new JobNotFoundError(`no job row for ${input.job_id}`);
  const keys = workKeys(input.job_id);
  const plan = await readJson<PartWork[]>(deps, keys.partsPlan);
  const parts = await Promise.all(plan.map((p) => readJson<PartManifest>(deps, keys.part(p.index).manifest)));
  const failure = parts.find((p) => p.failure)?.failure;
  if (failure?.name === "InvalidInputError") throw new InvalidInputError(failure.message);
  if (failure && failure.name !== "UnitsOverReservationError") throw new PreparePartFailed(failure);
  const units = parts.reduce((n, p) => n + p.languages.reduce((m, l) => m + l.units, 0), 0);
  if (failure || units > (job.units_reserved ?? Number.POSITIVE_INFINITY)) throw new UnitsOverReservationError(job.units_reserved ?? 0);
  const itemCount = parts.reduce((n, p) => n + p.item_count, 0);
  if (itemCount === 0) throw new InvalidInputError("no items to analyse");

  let rowsBefore = 0;
  const manifest: WorkManifest = {
    route: plan[0]!.route,
    started_at: job.prepared_at ?? deps.now().toISOString(),
    item_count: itemCount,
    parts: parts.map(({ failure: _, ...part }) => {
      const placed = { ...part, rows_before: rowsBefore };
      rowsBefore += part.rows;
      return placed;
    }),
  };
  const batches: BatchListing[] = [];
  for (const p of parts) if (p.batch_files > 0) batches.push(...(await readJson<BatchListing[]>(deps, keys.part(p.index).batchesManifest)));
  const s3Uri = (key: string) => `s3://${deps.bucket}/${key}`;
  const comprehendJobs: ComprehendJobSpec[] = parts.flatMap((p) =>
    p.languages.flatMap(({ language, jobs }) =>
      Array.from({ length: jobs }, (_, job) => {
        const name = `${input.job_id}-p${p.index}-${language}-${job}`;
        return {
          job_id: input.job_id,
          language,
          input_uri: s3Uri(keys.part(p.index).comprehendInput(language, job)),
          output_uri: s3Uri(keys.part(p.index).comprehendOutput(language, job)),
          token: name.slice(0, 64),
          name: `aurastream-${name}`.slice(0, 256),
        };
      }),
    ),
  );
  const aggregateParts: AggregatePartWork[] = parts.map((p) => ({ job_id: input.job_id, index: p.index }));
  await Promise.all([
    writeObject(deps, keys.manifest, JSON.stringify(manifest)),
    writeObject(deps, keys.aggregateParts, JSON.stringify(aggregateParts)),
    writeObject(deps, keys.batchesManifest, JSON.stringify(batches)),
    writeObject(deps, keys.comprehendJobsManifest, JSON.stringify(comprehendJobs)),
  ]);
  return {
    job_id: input.job_id,
    route: manifest.route,
    item_count: itemCount,
    doc_count: parts.reduce((n, p) => n + p.languages.reduce((m, l) => m + l.docs, 0), 0),
    batch_files: batches.length,
    comprehend_job_count: comprehendJobs.length,
    batch_count: batches.length + comprehendJobs.length,
    max_concurrency: deps.maxConcurrency,
    tolerated_failure_percent: Math.round(deps.maxFailedRowShare * 100),
    has_callback: Boolean(job.options.callback_url),
    bucket: deps.bucket,
    batches_key: keys.batchesManifest,
    comprehend_jobs_key: keys.comprehendJobsManifest,
    aggregate_parts_key: keys.aggregateParts,
    map_results_prefix: keys.mapResultsPrefix,
  };
}

export const handler = lambdaHandler(collectParts);
