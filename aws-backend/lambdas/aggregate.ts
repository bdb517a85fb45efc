/**
 * aggregate: the job finished once every part's results are written (the AggregateParts Map,
 * aggregate-part). The parts' summaries are merged into the job's (counts, distribution,
 * languages, mean scores, units billed); a job of several parts gets its results.jsonl and
 * results.csv joined from the parts' inside S3 (concatObjects: parts copied, never read through
 * here). The job becomes COMPLETED, or FAILED when more than `maxFailedRowShare` of its rows
 * failed (each row's reason is in its result line).
 */
import { processedKeys } from "../../shared/jobs.ts";
import type { JobSummary } from "../../shared/schemas.ts";
import { ITEMS_ANALYSED_METRIC } from "../lib/monitoring-metrics.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { concatObjects, getJob, readJson, updateJob } from "./storage.ts";
import { workKeys, type WorkManifest } from "./work/layout.ts";
import { SummaryCounter, type SummaryCounts } from "./work/summary.ts";

export class TooManyFailedRowsError extends Error {
  override readonly name = "TooManyFailedRowsError";
}

export async function aggregate(deps: BatchDeps, input: { job_id: string }): Promise<{ status: "COMPLETED"; item_count: number }> {
  const keys = workKeys(input.job_id);
  const job = await getJob(deps, input.job_id);
  const manifest = await readJson<WorkManifest>(deps, keys.manifest);

  const summary = new SummaryCounter();
  for (const counts of await Promise.all(manifest.parts.map((p) => readJson<SummaryCounts>(deps, keys.part(p.index).summary)))) summary.merge(counts);
  if (manifest.parts.length > 1) {
    const final = processedKeys(input.job_id);
    await concatObjects(deps, manifest.parts.map((p) => keys.part(p.index).results), final.results, "application/x-ndjson");
    await concatObjects(deps, manifest.parts.map((p) => keys.part(p.index).resultsCsv), final.resultsCsv, "text/csv; charset=utf-8");
  }

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

export const handler = lambdaHandler(aggregate);
