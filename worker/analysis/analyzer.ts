/**
 * The real-time analysis pipeline for one or more texts (sync = one, batch = up to 25):
 * edge PII handling -> cache key -> cache -> (misses, each computed once per isolate) language
 * detection -> sentence chunking -> Comprehend -> aggregation -> cache write.
 *
 * Nothing here knows about HTTP; it reports per-item outcomes, the Comprehend units it spent and
 * the events that failed, and the routes decide what to answer.
 */
import { MAX_BATCH_DOCUMENTS, MAX_SENTIMENT_BYTES, SENTIMENT_LANGUAGES, billingUnits } from "../../shared/comprehend.ts";
import { aggregateScores } from "../../shared/aggregate.ts";
import { withResolvers } from "../../shared/deferred.ts";
import { resultCacheKey } from "../../shared/cache-key.ts";
import { countPiiTypes, detectPii, redactPii, type PiiType } from "../../shared/engine/pii.ts";
import { characterCount, type AnalyzeOptions, type SentimentResult } from "../../shared/schemas.ts";
import { chunkText } from "../../shared/text/chunk.ts";
import { normaliseText } from "../../shared/text/normalise.ts";
import type { ResultCache } from "../cache/result-cache.ts";
import { CircuitOpenError } from "../aws/circuit-breaker.ts";
import type { ComprehendClient, SentimentAnswer } from "../aws/comprehend.ts";
import type { Deadline } from "../aws/deadline.ts";
import { AwsCallError } from "../aws/json-protocol.ts";
import { ApiError } from "../errors.ts";

export interface PiiSummary {
  detected: boolean;
  types: Partial<Record<PiiType, number>>;
}

export type ItemOutcome =
  | { ok: true; result: SentimentResult; cached: boolean; pii: PiiSummary }
  | { ok: false; error: ApiError; pii: PiiSummary };

/** What a failed item leaves for the dead-letter queue: redacted text only. */
export interface FailedItem {
  index: number;
  redacted_text: string;
  language_code?: string;
  pii: AnalyzeOptions["pii"];
  /** Present when the redacted text is exactly what was analysed, so a replay may fill the cache. */
  cache_key?: string;
  error: { code: string; type: string; message: string };
}

export interface AnalysisReport {
  outcomes: ItemOutcome[];
  /** Comprehend units this request paid for (calls it made; shared or cached results cost none). */
  units: number;
  cacheHits: number;
  comprehendMs: number;
  failed: FailedItem[];
  /** Cache writes to finish after the response (waitUntil). */
  pending: Promise<unknown>[];
}

export interface AnalyzerDeps {
  comprehend: ComprehendClient;
  cache: ResultCache;
  /** Misses being computed in this isolate, by cache key: identical concurrent misses share one call. */
  inflight: Map<string, Promise<SentimentResult>>;
  engineVersion: string;
}

interface Prepared {
  index: number;
  /** The text Comprehend sees: normalised, and redacted under pii=redact. */
  text: string;
  languageCode?: string;
  options: AnalyzeOptions;
  key: string;
  pii: PiiSummary;
  redactedText: string;
}

type Computed = Map<string, SentimentResult | ApiError>;

export class Analyzer {
  constructor(private readonly deps: AnalyzerDeps) {}

  async analyze(items: { text: string; options: AnalyzeOptions }[], deadline: Deadline): Promise<AnalysisReport> {
    const report: AnalysisReport = { outcomes: [], units: 0, cacheHits: 0, comprehendMs: 0, failed: [], pending: [] };
    const prepared = items.map((item, index) => this.prepare(index, item.text, item.options));
    const hits = await Promise.all(prepared.map((p) => this.deps.cache.get(p.key)));

    const waiting = new Map<number, Promise<SentimentResult>>();
    const owned = new Map<string, { item: Prepared; resolve: (r: SentimentResult) => void; reject: (e: unknown) => void }>();
    for (const item of prepared) {
      if (hits[item.index]) continue;
      const shared = this.deps.inflight.get(item.key);
      if (shared) {
        waiting.set(item.index, shared);
        continue;
      }
      const { promise, resolve, reject } = withResolvers<SentimentResult>();
      promise.catch(() => {}); // awaited below; this only keeps a rejection from being "unhandled"
      this.deps.inflight.set(item.key, promise);
      owned.set(item.key, { item, resolve, reject });
      waiting.set(item.index, promise);
    }

    if (owned.size > 0) {
      const started = Date.now();
      let computed: Computed;
      try {
        computed = await this.compute([...owned.values()].map((o) => o.item), deadline, report);
      } catch (err) {
        // Every owned key must settle, or requests sharing it would wait forever.
        computed = new Map([...owned.keys()].map((key) => [key, toApiError(err)]));
      }
      report.comprehendMs = Date.now() - started;
      for (const [key, { resolve, reject }] of owned) {
        const value = computed.get(key) ?? new ApiError("INTERNAL_ERROR", "The text was not analysed.");
        this.deps.inflight.delete(key);
        if (value instanceof ApiError) reject(value);
        else {
          resolve(value);
          report.pending.push(this.deps.cache.put(key, value));
        }
      }
    }

    for (const item of prepared) {
      const hit = hits[item.index];
      if (hit) {
        report.cacheHits++;
        report.outcomes[item.index] = { ok: true, result: hit, cached: true, pii: item.pii };
        continue;
      }
      try {
        const result = await waiting.get(item.index)!;
        report.outcomes[item.index] = { ok: true, result, cached: false, pii: item.pii };
      } catch (err) {
        const error = err instanceof ApiError ? err : new ApiError("INTERNAL_ERROR", "The text was not analysed.");
        report.outcomes[item.index] = { ok: false, error, pii: item.pii };
        if (error.code !== "VALIDATION_ERROR") report.failed.push(failedItem(item, error));
      }
    }
    return report;
  }

  private prepare(index: number, raw: string, options: AnalyzeOptions): Prepared {
    const entities = options.pii === "off" ? [] : detectPii(raw);
    const redacted = redactPii(raw, entities).text;
    const text = normaliseText(options.pii === "redact" ? redacted : raw);
    const key = resultCacheKey({
      engineVersion: this.deps.engineVersion,
      languageCode: options.language_code,
      pii: options.pii,
      normalisedText: text,
    });
    return {
      index,
      text,
      languageCode: options.language_code,
      options,
      key,
      pii: { detected: entities.length > 0, types: countPiiTypes(entities) },
      // Under `off` nothing was detected, but the dead-letter queue still gets a redacted copy.
      redactedText: normaliseText(options.pii === "off" ? redactPii(raw).text : redacted),
    };
  }

  /** Language, then sentiment, for texts no cache or other request had; one answer per key. */
  private async compute(items: Prepared[], deadline: Deadline, report: AnalysisReport): Promise<Computed> {
    const computed: Computed = new Map();
    const languages = await this.languagesOf(items, deadline, report, computed);

    type Doc = { item: Prepared; text: string };
    const byLanguage = new Map<string, Doc[]>();
    for (const item of items) {
      const language = languages.get(item.key);
      if (!language) continue;
      const docs = chunkText(item.text, MAX_SENTIMENT_BYTES, language).map((text) => ({ item, text }));
      byLanguage.set(language, [...(byLanguage.get(language) ?? []), ...docs]);
    }

    const answers = new Map<Prepared, { answer: SentimentAnswer; weight: number }[]>();
    const calls: Promise<void>[] = [];
    const onlyDoc = byLanguage.size === 1 ? [...byLanguage.values()][0] : undefined;
    if (onlyDoc?.length === 1) {
      // One text, one part: the plain DetectSentiment call.
      const [doc] = onlyDoc;
      const language = [...byLanguage.keys()][0]!;
      calls.push(
        this.deps.comprehend.detectSentiment(doc!.text, language, deadline).then(
          (answer) => {
            report.units += billingUnits(doc!.text);
            answers.set(doc!.item, [{ answer, weight: characterCount(doc!.text) }]);
          },
          (err) => void computed.set(doc!.item.key, toApiError(err)),
        ),
      );
    } else {
      for (const [language, docs] of byLanguage) {
        for (let start = 0; start < docs.length; start += MAX_BATCH_DOCUMENTS) {
          const slice = docs.slice(start, start + MAX_BATCH_DOCUMENTS);
          calls.push(
            this.deps.comprehend.batchDetectSentiment(slice.map((d) => d.text), language, deadline).then(
              (out) => {
                for (const r of out.ResultList ?? []) {
                  const doc = slice[r.Index];
                  if (!doc) continue;
                  report.units += billingUnits(doc.text);
                  answers.set(doc.item, [...(answers.get(doc.item) ?? []), { answer: r, weight: characterCount(doc.text) }]);
                }
                for (const e of out.ErrorList ?? []) {
                  const doc = slice[e.Index];
                  if (doc) computed.set(doc.item.key, new ApiError("INTERNAL_ERROR", `Comprehend could not analyse this text (${e.ErrorCode}).`));
                }
              },
              (err) => {
                for (const doc of slice) computed.set(doc.item.key, toApiError(err));
              },
            ),
          );
        }
      }
    }
    await Promise.all(calls);

    for (const item of items) {
      const language = languages.get(item.key);
      if (!language || computed.has(item.key)) continue;
      const parts = answers.get(item);
      if (!parts?.length) continue;
      const combined = aggregateScores(
        parts.map((p) => ({
          weight: p.weight,
          scores: {
            positive: p.answer.SentimentScore.Positive,
            negative: p.answer.SentimentScore.Negative,
            neutral: p.answer.SentimentScore.Neutral,
            mixed: p.answer.SentimentScore.Mixed,
          },
        })),
      );
      computed.set(item.key, { ...combined, language_code: language });
    }
    return computed;
  }

  /** The language of each text: given, or detected (one call for one text, one batch for many). */
  private async languagesOf(items: Prepared[], deadline: Deadline, report: AnalysisReport, computed: Computed) {
    const languages = new Map<string, string>();
    const unknown = items.filter((i) => {
      if (i.languageCode) languages.set(i.key, i.languageCode);
      return !i.languageCode;
    });
    if (unknown.length === 0) return languages;

    const decide = (item: Prepared, detected: string | undefined) => {
      if (detected && (SENTIMENT_LANGUAGES as readonly string[]).includes(detected)) languages.set(item.key, detected);
      else
        computed.set(
          item.key,
          new ApiError(
            "VALIDATION_ERROR",
            `The text's language (${detected ?? "undetermined"}) cannot be analysed. Supported: ${SENTIMENT_LANGUAGES.join(", ")}; pass options.language_code to choose one.`,
            { field: "language_code" },
          ),
        );
    };
    // Language shows in the first part; batch detection takes at most 5,000 bytes per text.
    const sample = (item: Prepared) => chunkText(item.text, MAX_SENTIMENT_BYTES)[0]!;
    try {
      if (unknown.length === 1) {
        const item = unknown[0]!;
        const found = await this.deps.comprehend.detectDominantLanguage(item.text, deadline);
        report.units += billingUnits(item.text);
        decide(item, found[0]?.LanguageCode);
      } else {
        const samples = unknown.map(sample);
        const out = await this.deps.comprehend.batchDetectDominantLanguage(samples, deadline);
        for (const r of out.ResultList ?? []) {
          const item = unknown[r.Index];
          if (!item) continue;
          report.units += billingUnits(samples[r.Index]!);
          decide(item, [...(r.Languages ?? [])].sort((a, b) => b.Score - a.Score)[0]?.LanguageCode);
        }
        for (const e of out.ErrorList ?? []) {
          const item = unknown[e.Index];
          if (item) computed.set(item.key, new ApiError("INTERNAL_ERROR", `Comprehend could not read this text (${e.ErrorCode}).`));
        }
      }
    } catch (err) {
      for (const item of unknown) computed.set(item.key, toApiError(err));
    }
    return languages;
  }
}

/** Comprehend failures as the API reports them. */
function toApiError(err: unknown): ApiError {
  if (err instanceof CircuitOpenError) {
    return new ApiError("SERVICE_UNAVAILABLE", "Sentiment analysis is temporarily unavailable.", {
      retryAfter: err.retryAfterSeconds,
      upstream: "CircuitOpen",
    });
  }
  if (err instanceof AwsCallError) {
    if (err.type === "UnsupportedLanguageException") {
      return new ApiError("VALIDATION_ERROR", "This language cannot be analysed.", { field: "language_code", upstream: err.type });
    }
    if (err.isDependencyFailure) {
      const why = err.kind === "throttled" ? "is throttling" : err.kind === "timeout" ? "did not answer in time" : "failed";
      return new ApiError("SERVICE_UNAVAILABLE", `Sentiment analysis ${why}; try again shortly.`, { retryAfter: 1, upstream: err.type });
    }
    return new ApiError("INTERNAL_ERROR", "The text could not be analysed.", { upstream: err.type });
  }
  return new ApiError("INTERNAL_ERROR", "The text could not be analysed.", { upstream: err instanceof Error ? err.name : "unknown" });
}

function failedItem(item: Prepared, error: ApiError): FailedItem {
  return {
    index: item.index,
    redacted_text: item.redactedText,
    language_code: item.languageCode,
    pii: item.options.pii,
    ...(item.redactedText === item.text ? { cache_key: item.key } : {}),
    error: { code: error.code, type: error.details.upstream ?? "Error", message: error.message },
  };
}
