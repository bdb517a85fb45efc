/**
 * aggregate: per-item results to processed/<job_id>/results.jsonl and the job's summary
 * (overall sentiment, mean scores, distribution, language mix, counts) on its row, COMPLETED.
 */
import { aggregateScores } from "../../shared/aggregate.ts";
import { processedKeys, type JobSummary } from "../../shared/jobs.ts";
import type { Scores, SentimentLabel } from "../../shared/schemas.ts";
import { ITEMS_ANALYSED_METRIC } from "../lib/monitoring-metrics.ts";
import { lambdaDeps, type BatchDeps } from "./deps.ts";
import { getJob, readJson, updateJob, writeObject } from "./storage.ts";
import type { WorkBatchResult, WorkManifest } from "./work.ts";

export interface ItemResult {
  id: string;
  sentiment?: SentimentLabel;
  score?: number;
  scores?: Scores;
  language_code?: string;
  pii_detected: boolean;
  pii_types: Record<string, number>;
  error?: { code: string; message: string };
}

export async function aggregate(deps: BatchDeps, input: { job_id: string }): Promise<{ status: "COMPLETED"; item_count: number }> {
  const keys = processedKeys(input.job_id);
  const job = await getJob(deps, input.job_id);
  const manifest = await readJson<WorkManifest>(deps, keys.items);

  const sentimentOf = new Map<number, Scores | { error: string }>();
  for (let index = 0; index < manifest.batch_count; index++) {
    const result = await readJson<WorkBatchResult>(deps, keys.batchResult(index));
    for (const r of result.ResultList) {
      const s = r.SentimentScore;
      sentimentOf.set(result.docs[r.Index]!, { positive: s.Positive, negative: s.Negative, neutral: s.Neutral, mixed: s.Mixed });
    }
    for (const e of result.ErrorList) sentimentOf.set(result.docs[e.Index]!, { error: e.ErrorCode });
  }

  const results: ItemResult[] = manifest.items.map((item) => {
    const pii = { pii_detected: Object.keys(item.pii_types).length > 0, pii_types: item.pii_types };
    if (item.error) return { id: item.id, ...pii, error: item.error };
    const parts = item.docs.map((d) => sentimentOf.get(d));
    const failedAt = parts.findIndex((p) => !p || "error" in p);
    if (failedAt >= 0) {
      const failed = parts[failedAt];
      return { id: item.id, ...pii, error: { code: "ANALYSIS_FAILED", message: failed && "error" in failed ? `Comprehend: ${failed.error}` : "no result" } };
    }
    const combined = aggregateScores(parts.map((p, i) => ({ scores: p as Scores, weight: item.weights[i]! })));
    return { id: item.id, sentiment: combined.sentiment, score: combined.score, scores: combined.scores, language_code: manifest.languages[item.docs[0]!], ...pii };
  });
  await writeObject(deps, keys.results, results.map((r) => JSON.stringify(r)).join("\n") + "\n", "application/x-ndjson");

  const analysed = results.filter((r) => r.sentiment);
  const overall = aggregateScores(analysed.map((r) => ({ scores: r.scores!, weight: 1 })));
  const distribution = { POSITIVE: 0, NEGATIVE: 0, NEUTRAL: 0, MIXED: 0 };
  const languages: Record<string, number> = {};
  for (const r of analysed) {
    distribution[r.sentiment!]++;
    languages[r.language_code!] = (languages[r.language_code!] ?? 0) + 1;
  }
  const completedAt = deps.now();
  const summary: JobSummary = {
    sentiment: overall.sentiment,
    score: overall.score,
    scores: overall.scores,
    language_code: Object.entries(languages).sort((a, b) => b[1] - a[1])[0]?.[0] ?? "und",
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
