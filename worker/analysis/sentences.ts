/**
 * Sentence-level results (options.sentences): the submitted text's sentences, each analysed as
 * an item of its own by the analyzer (cached, shared and billed like any text, in the language
 * chosen for the whole text), with code-point offsets into the text as submitted.
 */
import type { SentimentLanguage } from "../../shared/comprehend.ts";
import { sentenceSpans, type SentenceSpan } from "../../shared/pipeline/sentences.ts";
import { MAX_SENTENCES, type AnalyzeOptions, type SentenceResult, type SentimentResult } from "../../shared/schemas.ts";
import type { Deadline } from "../aws/deadline.ts";
import { ApiError } from "../errors.ts";
import type { AnalysisReport, AnalyzeContext, Analyzer } from "./analyzer.ts";

/** The sentences of a text, refused before any work when there are too many to answer. */
export function sentencesOf(submitted: string, language: string | undefined): SentenceSpan[] {
  const spans = sentenceSpans(submitted, language ?? "en");
  if (spans.length > MAX_SENTENCES) {
    throw new ApiError("VALIDATION_ERROR", `options.sentences: the text has ${spans.length} sentences; at most ${MAX_SENTENCES} get results of their own`, { field: "options.sentences" });
  }
  return spans;
}

/**
 * Each sentence's result. One sentence is the whole text: its result is the text's, at no cost.
 * A sentence that cannot be analysed fails the request with its error.
 */
export async function sentenceResults(
  analyzer: Analyzer,
  spans: SentenceSpan[],
  whole: SentimentResult,
  options: AnalyzeOptions,
  deadline: Deadline,
  context: AnalyzeContext,
): Promise<{ sentences: SentenceResult[]; report?: AnalysisReport }> {
  const present = (span: SentenceSpan, r: SentimentResult): SentenceResult => ({
    begin_offset: span.begin,
    end_offset: span.end,
    sentiment: r.sentiment,
    score: r.score,
    ...(options.include_confidence && r.scores ? { scores: r.scores } : {}),
  });
  if (spans.length <= 1) return { sentences: spans.map((span) => present(span, whole)) };
  const language = whole.language_code as SentimentLanguage;
  const report = await analyzer.analyze(
    spans.map((span) => ({ text: span.text, options: { ...options, language_code: language } })),
    deadline,
    context,
  );
  const sentences = spans.map((span, i) => {
    const outcome = report.outcomes[i]!;
    if (!outcome.ok) throw outcome.error;
    return present(span, outcome.result);
  });
  return { sentences, report };
}
