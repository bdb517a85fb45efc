/**
 * A job's summary, counted one result at a time. Each part of the job is counted on its own
 * (aggregate-part) and the parts' counts merged (aggregate): tallies and sums, so the merge gives
 * what one count over every row would (the score sums up to float rounding).
 */
import { SENTIMENT_LABELS, type SentimentLabel } from "../../../shared/comprehend.ts";
import { aggregateScores } from "../../../shared/pipeline/scores.ts";
import type { JobItemResult, JobSummary, Scores } from "../../../shared/schemas.ts";

/** What a part's count is kept as (work/results-parts/p-NNNNN.summary.json). */
export interface SummaryCounts {
  items: number;
  analysed: number;
  sums: Scores;
  distribution: Record<SentimentLabel, number>;
  languages: Record<string, number>;
}

export class SummaryCounter {
  private readonly counts: SummaryCounts = {
    items: 0,
    analysed: 0,
    sums: { positive: 0, negative: 0, neutral: 0, mixed: 0 },
    distribution: Object.fromEntries(SENTIMENT_LABELS.map((label) => [label, 0])) as Record<SentimentLabel, number>,
    languages: {},
  };

  add(result: JobItemResult): void {
    const c = this.counts;
    c.items++;
    if (!result.sentiment) return;
    c.analysed++;
    c.distribution[result.sentiment]++;
    c.languages[result.language_code!] = (c.languages[result.language_code!] ?? 0) + 1;
    for (const k of Object.keys(c.sums) as (keyof Scores)[]) c.sums[k] += result.scores![k];
  }

  /** Another part's counts added to these. */
  merge(other: SummaryCounts): void {
    const c = this.counts;
    c.items += other.items;
    c.analysed += other.analysed;
    for (const k of Object.keys(c.sums) as (keyof Scores)[]) c.sums[k] += other.sums[k];
    for (const label of SENTIMENT_LABELS) c.distribution[label] += other.distribution[label];
    for (const [language, n] of Object.entries(other.languages)) c.languages[language] = (c.languages[language] ?? 0) + n;
  }

  toJSON(): SummaryCounts {
    return this.counts;
  }

  result(): Omit<JobSummary, "processing_time_ms"> {
    const { items, analysed, sums, distribution, languages } = this.counts;
    const counts = { languages, item_count: items, failed_items: items - analysed, distribution };
    // With no item analysed there is no overall sentiment to give (a mean of nothing is not POSITIVE).
    if (analysed === 0) return counts;
    const mean = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / analysed])) as Scores;
    const overall = aggregateScores([{ scores: mean, weight: 1 }]);
    const language = Object.entries(languages).sort((a, b) => b[1] - a[1])[0]![0];
    return { sentiment: overall.sentiment, score: overall.score, scores: overall.scores, language_code: language, ...counts };
  }
}
