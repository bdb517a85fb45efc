/**
 * aggregate: per-item results to processed/<job_id>/results.jsonl and the job's summary
 * (overall sentiment, mean scores, distribution, language mix, counts) on its row, COMPLETED.
 */
import { SENTIMENT_LABELS, type SentimentLabel, type SentimentScore } from "../../shared/comprehend.ts";
import { processedKeys } from "../../shared/jobs.ts";
import { itemErrors, type ItemError } from "../../shared/pipeline/item-errors.ts";
import { aggregateScores, resultOfParts } from "../../shared/pipeline/scores.ts";
import type { JobItemResult, JobSummary } from "../../shared/schemas.ts";
import { ITEMS_ANALYSED_METRIC } from "../lib/monitoring-metrics.ts";
import { lambdaDeps, type BatchDeps } from "./deps.ts";
import { getJob, readJson, updateJob, writeObject } from "./storage.ts";
import type { WorkBatchResult, WorkManifest } from "./work.ts";

export async function aggregate(deps: BatchDeps, input: { job_id: string }): Promise<{ status: "COMPLETED"; item_count: number }> {
  const keys = processedKeys(input.job_id);
  const job = await getJob(deps, input.job_id);
  const manifest = await readJson<WorkManifest>(deps, keys.items);

  // Each document's answer, or Comprehend's refusal of it.
  const answerOf = new Map<number, SentimentScore | ItemError>();
  for (let index = 0; index < manifest.batch_count; index++) {
    const result = await readJson<WorkBatchResult>(deps, keys.batchResult(index));
    for (const r of result.ResultList) answerOf.set(result.docs[r.Index]!, r.SentimentScore);
    for (const e of result.ErrorList) answerOf.set(result.docs[e.Index]!, itemErrors.refusedByComprehend(e.ErrorCode));
  }

  const results: JobItemResult[] = manifest.items.map((item) => {
    const pii = { pii_detected: Object.keys(item.pii_types).length > 0, pii_types: item.pii_types };
    if (item.error) return { id: item.id, ...pii, error: item.error };
    const parts = item.docs.map((d) => answerOf.get(d));
    const refused = parts.find((p): p is ItemError => p !== undefined && "code" in p);
    if (refused || parts.includes(undefined)) {
      return { id: item.id, ...pii, error: refused ?? { code: "INTERNAL_ERROR", message: "The text was not analysed." } };
    }
    const scores = parts.map((score, i) => ({ score: score as SentimentScore, weight: item.weights[i]! }));
    return { id: item.id, ...resultOfParts(scores, { language: item.language_code!, source: item.language_source ?? "given" }), ...pii };
  });
  await writeObject(deps, keys.results, results.map((r) => JSON.stringify(r)).join("\n") + "\n", "application/x-ndjson");

  const analysed = results.filter((r) => r.sentiment);
  const overall = aggregateScores(analysed.map((r) => ({ scores: r.scores!, weight: 1 })));
  const distribution = Object.fromEntries(SENTIMENT_LABELS.map((label) => [label, 0])) as Record<SentimentLabel, number>;
  const languages: Record<string, number> = {};
  for (const r of analysed) {
    distribution[r.sentiment!]++;
    languages[r.language_code!] = (languages[r.language_code!] ?? 0) + 1;
  }
  const completedAt = deps.now();
  const summary: JobSummary = {
    // With no item analysed there is no overall sentiment to give (a mean of nothing is not POSITIVE).
    ...(analysed.length > 0
      ? {
          sentiment: overall.sentiment,
          score: overall.score,
          scores: overall.scores,
          language_code: Object.entries(languages).sort((a, b) => b[1] - a[1])[0]![0],
        }
      : {}),
    languages,
    item_count: results.length,
    failed_items: results.length - analysed.length,
    distribution,
    processing_time_ms: completedAt.getTime() - new Date(job?.created_at ?? manifest.started_at).getTime(),
  };
  await updateJob(deps, input.job_id, { status: "COMPLETED", summary, completed_at: completedAt.toISOString() });
  // CloudWatch embedded metric format: one line, picked up from the log.
  console.log(
    JSON.stringify({
      _aws: { Timestamp: completedAt.getTime(), CloudWatchMetrics: [{ Namespace: ITEMS_ANALYSED_METRIC.namespace, Dimensions: [[]], Metrics: [{ Name: ITEMS_ANALYSED_METRIC.metricName, Unit: "Count" }] }] },
      [ITEMS_ANALYSED_METRIC.metricName]: analysed.length,
      job_id: input.job_id,
    }),
  );
  return { status: "COMPLETED", item_count: results.length };
}

export const handler = (event: { job_id: string }) => aggregate(lambdaDeps(), event);
