/**
 * aggregate: the documents' answers joined back to the job's rows, streamed, one part of the
 * upload at a time: the part's answers are read into DocumentAnswers (its batch files' results
 * and its Comprehend jobs' output.tar.gz), then its items in order, each row's result written to
 * processed/<job_id>/results.jsonl and results.csv, each a multipart upload. The summary (counts, distribution,
 * languages, mean scores, units billed) is counted on the way and kept on the job's row,
 * COMPLETED; a job with more than `maxFailedRowShare` of its rows failed ends FAILED instead.
 */
import { SENTIMENT_LABELS, type SentimentLabel, type SentimentScore } from "../../shared/comprehend.ts";
import { lines, rowId, utf8Chunks } from "../../shared/batch-input.ts";
import { processedKeys } from "../../shared/jobs.ts";
import { resultCsvHeader, resultCsvRow } from "../../shared/results-csv.ts";
import type { ItemError } from "../../shared/pipeline/item-errors.ts";
import { aggregateScores, resultOfParts } from "../../shared/pipeline/scores.ts";
import type { JobItemResult, JobSummary, Scores } from "../../shared/schemas.ts";
import { ITEMS_ANALYSED_METRIC } from "../lib/monitoring-metrics.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { getJob, listKeys, readJson, readStream, updateJob, writeStream } from "./storage.ts";
import { DocumentAnswers } from "./work/answers.ts";
import { sentimentOutputLines } from "./work/comprehend-output.ts";
import { batchResultKey, partIndexOfFile, workKeys, type BatchListing, type LanguageDocs, type PartKeys, type WorkBatchResult, type WorkItem, type WorkManifest } from "./work/layout.ts";

export class TooManyFailedRowsError extends Error {
  override readonly name = "TooManyFailedRowsError";
}

export async function aggregate(deps: BatchDeps, input: { job_id: string }): Promise<{ status: "COMPLETED"; item_count: number }> {
  const keys = workKeys(input.job_id);
  const job = await getJob(deps, input.job_id);
  const manifest = await readJson<WorkManifest>(deps, keys.manifest);

  const summary = new SummaryCounter();
  const results = writeStream(deps, processedKeys(input.job_id).results, "application/x-ndjson");
  const csv = writeStream(deps, processedKeys(input.job_id).resultsCsv, "text/csv; charset=utf-8");
  await csv.write(resultCsvHeader());
  // One part at a time: its documents' answers, then its rows in order.
  for (const part of manifest.parts) {
    const partKeys = keys.part(part.index);
    const answers = new DocumentAnswers(part.languages);
    if (part.batch_files > 0) await readBatchResults(deps, partKeys, answers);
    await readComprehendOutputs(deps, partKeys, part.languages, answers);
    for (let i = 0; i < part.item_parts; i++) {
      for await (const { text } of lines(utf8Chunks(await readStream(deps, partKeys.itemsPart(i))))) {
        if (!text) continue;
        const result = resultOf(JSON.parse(text) as WorkItem, answers, part.rows_before);
        summary.add(result);
        await results.write(JSON.stringify(result) + "\n");
        await csv.write(resultCsvRow(result));
      }
    }
  }
  await Promise.all([results.close(), csv.close()]);

  const completedAt = deps.now();
  const units = manifest.parts.reduce((n, p) => n + p.languages.reduce((m, l) => m + l.units, 0), 0);
  const jobSummary: JobSummary = {
    ...summary.result(),
    units_billed: units,
    route: manifest.route,
    processing_time_ms: completedAt.getTime() - new Date(job?.created_at ?? manifest.started_at).getTime(),
  };
  if (jobSummary.item_count > 0 && jobSummary.failed_items / jobSummary.item_count > deps.maxFailedRowShare) {
    const share = Math.round((jobSummary.failed_items / jobSummary.item_count) * 100);
    throw new TooManyFailedRowsError(
      `${jobSummary.failed_items} of ${jobSummary.item_count} rows failed (${share}%), more than the ${Math.round(deps.maxFailedRowShare * 100)}% allowed; each row's reason is in its result line`,
    );
  }
  await updateJob(deps, input.job_id, { status: "COMPLETED", summary: jobSummary, completed_at: completedAt.toISOString() });
  // CloudWatch embedded metric format: one line, picked up from the log.
  console.log(
    JSON.stringify({
      _aws: { Timestamp: completedAt.getTime(), CloudWatchMetrics: [{ Namespace: ITEMS_ANALYSED_METRIC.namespace, Dimensions: [[]], Metrics: [{ Name: ITEMS_ANALYSED_METRIC.metricName, Unit: "Count" }] }] },
      [ITEMS_ANALYSED_METRIC.metricName]: jobSummary.item_count - jobSummary.failed_items,
      job_id: input.job_id,
    }),
  );
  return { status: "COMPLETED", item_count: jobSummary.item_count };
}

/** Each batch file's result (the part's batches manifest lists them); a batch whose child execution failed has none (its rows fail). */
async function readBatchResults(deps: BatchDeps, keys: PartKeys, answers: DocumentAnswers): Promise<void> {
  for (const { Key } of await readJson<BatchListing[]>(deps, keys.batchesManifest)) {
    const result = await readJson<WorkBatchResult>(deps, batchResultKey(Key)).catch((err: Error) => {
      if (err.name === "NoSuchKey") return undefined;
      throw err;
    });
    if (!result) continue;
    for (const r of result.ResultList) answers.answer(result.language, result.first + r.Index, r.SentimentScore);
    for (const e of result.ErrorList) answers.refuse(result.language, result.first + e.Index, e.ErrorCode);
  }
}

/** Each Comprehend job's output.tar.gz; a line is `File` (the input part) and `Line` (0-based in it). */
async function readComprehendOutputs(deps: BatchDeps, keys: PartKeys, languages: LanguageDocs[], answers: DocumentAnswers): Promise<void> {
  for (const { language, parts, jobs } of languages) {
    if (jobs === 0) continue;
    const archives = (await listKeys(deps, keys.comprehendOutputs(language))).filter((k) => k.endsWith("/output/output.tar.gz"));
    for (const archive of archives) {
      for await (const line of sentimentOutputLines(await readStream(deps, archive))) {
        const part = partIndexOfFile(line.File);
        if (part === undefined || parts[part] === undefined) continue;
        const seq = parts[part]! + line.Line;
        if (line.SentimentScore) answers.answer(language, seq, line.SentimentScore);
        else answers.refuse(language, seq, line.ErrorCode ?? "UNKNOWN");
      }
    }
  }
}

function resultOf(item: WorkItem, answers: DocumentAnswers, rowsBefore: number): JobItemResult {
  const base = { id: rowId(item, rowsBefore), line: item.line, pii_detected: Object.keys(item.pii_types).length > 0, pii_types: item.pii_types };
  if (item.error) return { ...base, error: item.error };
  const parts = item.docs.map((seq) => answers.of(item.language_code!, seq));
  const failed = parts.find((p): p is ItemError => "code" in p);
  if (failed) return { ...base, error: failed };
  const scores = parts.map((score, i) => ({ score: score as SentimentScore, weight: item.weights[i]! }));
  return { ...base, ...resultOfParts(scores, { language: item.language_code!, source: item.language_source ?? "given" }) };
}

/** The job's summary, counted one result at a time. */
class SummaryCounter {
  private items = 0;
  private analysed = 0;
  private readonly sums: Scores = { positive: 0, negative: 0, neutral: 0, mixed: 0 };
  private readonly distribution = Object.fromEntries(SENTIMENT_LABELS.map((label) => [label, 0])) as Record<SentimentLabel, number>;
  private readonly languages: Record<string, number> = {};

  add(result: JobItemResult): void {
    this.items++;
    if (!result.sentiment) return;
    this.analysed++;
    this.distribution[result.sentiment]++;
    this.languages[result.language_code!] = (this.languages[result.language_code!] ?? 0) + 1;
    for (const k of Object.keys(this.sums) as (keyof Scores)[]) this.sums[k] += result.scores![k];
  }

  result(): Omit<JobSummary, "processing_time_ms"> {
    const counts = { languages: this.languages, item_count: this.items, failed_items: this.items - this.analysed, distribution: this.distribution };
    // With no item analysed there is no overall sentiment to give (a mean of nothing is not POSITIVE).
    if (this.analysed === 0) return counts;
    const mean = Object.fromEntries(Object.entries(this.sums).map(([k, v]) => [k, v / this.analysed])) as Scores;
    const overall = aggregateScores([{ scores: mean, weight: 1 }]);
    const language = Object.entries(this.languages).sort((a, b) => b[1] - a[1])[0]![0];
    return { sentiment: overall.sentiment, score: overall.score, scores: overall.scores, language_code: language, ...counts };
  }
}

export const handler = lambdaHandler(aggregate);
