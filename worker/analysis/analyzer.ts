/**
 * The real-time analysis of one or more texts (sync = one, batch = up to 25), on the shared text
 * pipeline (shared/pipeline/): prepare (PII, normalise) -> cache key -> cache -> for misses,
 * each computed once per isolate: language (in-process) -> sentiment parts -> Comprehend -> scores
 * -> cache. The cache key never waits on detection: without a given language it holds the
 * default language, and detection runs only for misses.
 *
 * Nothing here knows about HTTP; it reports per-item outcomes, the Comprehend units it spent and
 * the events that failed, and the routes decide what to answer.
 */
import { billingUnits, type BatchItemError, type SentimentAnswer, type SentimentLanguage, type SentimentScore } from "../../shared/comprehend.ts";
import { settlesWithin, withResolvers } from "../../shared/deferred.ts";
import { cacheScopeOf, resultCacheKey } from "../../shared/pipeline/cache-key.ts";
import { batchesByLanguage, sentimentParts } from "../../shared/pipeline/documents.ts";
import { itemErrors, type ItemError } from "../../shared/pipeline/item-errors.ts";
import { DEFAULT_LANGUAGE, languageOf, type LanguageChoice } from "../../shared/pipeline/language.ts";
import { resultOfParts } from "../../shared/pipeline/scores.ts";
import { prepareText, type PiiSummary } from "../../shared/pipeline/text.ts";
import type { AnalyzeOptions, SentimentResult } from "../../shared/schemas.ts";
import type { ComprehendClient } from "../aws/comprehend.ts";
import type { Deadline } from "../aws/deadline.ts";
import type { ResultCache } from "../cache/result-cache.ts";
import { ApiError, apiErrorOf } from "../errors.ts";

export type ItemOutcome =
  /** `fallback`: the embedded engine answered because Comprehend could not (never cached). */
  | { ok: true; result: SentimentResult; cached: boolean; fallback: boolean; pii: PiiSummary }
  | { ok: false; error: ApiError; pii: PiiSummary };

/** What a failed item leaves for the dead-letter queue: redacted text only. */
export interface FailedItem {
  index: number;
  redacted_text: string;
  language_code?: string;
  /** The language a text too short to tell is analysed in (part of the cache key). */
  default_language: SentimentLanguage;
  /** Whose cache the text's result belongs in (part of the cache key): `tenant:<id>` or `shared`. */
  cache_scope: string;
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
  /** Texts the embedded engine answered because Comprehend could not. */
  fallbacks: number;
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
  /**
   * How much of its deadline a request keeps for its own attempt when it waits on another
   * request's call (about one attempt's timeout): past that, it stops waiting and asks itself.
   */
  ownAttemptReserveMs: number;
  /** The embedded engine, for answers when Comprehend cannot give one in time (absent: none). */
  fallback?: (text: string, language: string) => SentimentAnswer;
}

/** What the caller's key decides: whose cache, which default language, whether fallback answers are allowed (else 503 as without one). */
export interface AnalyzeContext {
  /** The cache the results belong in (cacheScopeOf): never another tenant's. */
  cacheScope: string;
  /** The key's default language (the request's `default_language` wins). */
  defaultLanguage?: SentimentLanguage;
  /** false: the key opted out of fallback answers. */
  fallback?: boolean;
  /** Takes the units of the texts about to be sent to Comprehend from the key's limits, or throws the refusal (rate-limiter/spend.ts). */
  budget?: { reserve(units: number): Promise<void> };
}

/** The analysis context a key's record gives. */
export function analyzeContextOf(
  record: { tenant_id: string; cache_sharing?: boolean; default_language?: SentimentLanguage; fallback?: boolean },
  budget?: AnalyzeContext["budget"],
): AnalyzeContext {
  return { cacheScope: cacheScopeOf(record), defaultLanguage: record.default_language, fallback: record.fallback, budget };
}

/** Errors that are the caller's to mend (the text, the plan's limits), not a failure to keep for replay. */
const CALLER_ERRORS = new Set(["VALIDATION_ERROR", "QUOTA_EXCEEDED", "PAYLOAD_TOO_LARGE"]);

interface Prepared {
  index: number;
  /** The text Comprehend sees: normalised, and redacted under pii=redact. */
  text: string;
  languageCode?: SentimentLanguage;
  defaultLanguage: SentimentLanguage;
  cacheScope: string;
  /** The language chosen for it, once known. */
  choice?: LanguageChoice;
  options: AnalyzeOptions;
  key: string;
  pii: PiiSummary;
  redactedText: string;
}

type Computed = Map<string, SentimentResult | ApiError>;

const SENTIMENT = "Sentiment analysis";

export class Analyzer {
  constructor(private readonly deps: AnalyzerDeps) {}

  async analyze(items: { text: string; options: AnalyzeOptions }[], deadline: Deadline, context: AnalyzeContext): Promise<AnalysisReport> {
    const report: AnalysisReport = { outcomes: [], units: 0, cacheHits: 0, fallbacks: 0, comprehendMs: 0, failed: [], pending: [] };
    const prepared = items.map((item, index) => this.prepare(index, item.text, item.options, context));
    const hits = await Promise.all(prepared.map((p) => this.deps.cache.get(p.key)));

    const waiting = new Map<number, Promise<SentimentResult>>();
    const owned = new Map<string, { item: Prepared; resolve: (r: SentimentResult) => void; reject: (e: unknown) => void }>();
    for (const item of prepared) {
      if (hits[item.index]) continue;
      const shared = this.deps.inflight.get(item.key);
      if (shared) {
        waiting.set(item.index, this.waitFor(shared, item, deadline, report, context));
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
        computed = await this.compute([...owned.values()].map((o) => o.item), deadline, report, context);
      } catch (err) {
        // Every owned key must settle, or requests sharing it would wait forever.
        computed = new Map([...owned.keys()].map((key) => [key, apiErrorOf(err, SENTIMENT)]));
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
        report.outcomes[item.index] = { ok: true, result: hit, cached: true, fallback: false, pii: item.pii };
        continue;
      }
      try {
        const result = await waiting.get(item.index)!;
        report.outcomes[item.index] = { ok: true, result, cached: false, fallback: false, pii: item.pii };
      } catch (err) {
        const error = err instanceof ApiError ? err : new ApiError("INTERNAL_ERROR", "The text was not analysed.");
        if (!CALLER_ERRORS.has(error.code)) report.failed.push(failedItem(item, error));
        const fallback = error.code === "SERVICE_UNAVAILABLE" && item.options.fallback && context.fallback !== false ? this.fallbackFor(item) : undefined;
        if (fallback) {
          report.fallbacks++;
          report.outcomes[item.index] = { ok: true, result: fallback, cached: false, fallback: true, pii: item.pii };
        } else {
          report.outcomes[item.index] = { ok: false, error, pii: item.pii };
        }
      }
    }
    return report;
  }

  /**
   * Another request's answer for the same key, if it comes in time and is an answer: a request
   * never hangs on work it does not own. If the owner fails (for a reason other than the text
   * itself), or has not answered when only `ownAttemptReserveMs` of this deadline is left (its
   * request may have been cancelled, and its promise will then never settle), this request
   * computes its own answer within what is left.
   */
  private async waitFor(shared: Promise<SentimentResult>, item: Prepared, deadline: Deadline, report: AnalysisReport, context: AnalyzeContext): Promise<SentimentResult> {
    if (await settlesWithin(shared, Math.max(0, deadline.remaining() - this.deps.ownAttemptReserveMs))) {
      try {
        return await shared;
      } catch (error) {
        if (error instanceof ApiError && error.code === "VALIDATION_ERROR") throw error;
      }
    }
    const own = (await this.compute([item], deadline, report, context)).get(item.key);
    if (!own || own instanceof ApiError) throw own ?? new ApiError("INTERNAL_ERROR", "The text was not analysed.");
    report.pending.push(this.deps.cache.put(item.key, own));
    return own;
  }

  /**
   * The embedded engine's answer for a text Comprehend could not analyse in time, in the
   * language chosen for it (or its default), by the same parts and weights. Never cached: the
   * dead letter lets `npm run dlq -- replay` put Comprehend's answer there later.
   */
  private fallbackFor(item: Prepared): SentimentResult | undefined {
    const engine = this.deps.fallback;
    if (!engine) return undefined;
    const choice = (item.choice ??= languageOf(item.text, item.languageCode, item.defaultLanguage));
    const parts = sentimentParts(item.text, choice.language).map((part) => ({ score: engine(part.text, choice.language).SentimentScore, weight: part.weight }));
    return resultOfParts(parts, choice);
  }

  private prepare(index: number, raw: string, options: AnalyzeOptions, context: AnalyzeContext): Prepared {
    const { analysed, redacted, pii } = prepareText(raw, options.pii);
    const defaultLanguage = options.default_language ?? context.defaultLanguage ?? DEFAULT_LANGUAGE;
    const key = resultCacheKey({
      scope: context.cacheScope,
      engineVersion: this.deps.engineVersion,
      languageCode: options.language_code,
      defaultLanguage,
      pii: options.pii,
      normalisedText: analysed,
    });
    return { index, text: analysed, languageCode: options.language_code, defaultLanguage, cacheScope: context.cacheScope, options, key, pii, redactedText: redacted };
  }

  /** Language, then sentiment, for texts no cache or other request had; one answer per key. */
  private async compute(items: Prepared[], deadline: Deadline, report: AnalysisReport, context: AnalyzeContext): Promise<Computed> {
    const computed: Computed = new Map();
    const fail = (item: Prepared, error: ItemError | ApiError) => computed.set(item.key, error instanceof ApiError ? error : fromItemError(error));
    // The language of each, found at the edge: a miss makes exactly one Comprehend call.
    for (const item of items) item.choice ??= languageOf(item.text, item.languageCode, item.defaultLanguage);

    type Doc = { item: Prepared; text: string; weight: number; language: string };
    const docs: Doc[] = items.flatMap((item) => {
      const { choice } = item;
      return choice ? sentimentParts(item.text, choice.language).map((part) => ({ item, ...part, language: choice.language })) : [];
    });

    // What these calls can bill, taken from the key's limits first: a refusal fails them all, before any call.
    await context.budget?.reserve(docs.reduce((n, doc) => n + billingUnits(doc.text), 0));

    const answers = new Map<Prepared, { score: SentimentScore; weight: number }[]>();
    const answered = (doc: Doc, score: SentimentScore) => {
      report.units += billingUnits(doc.text);
      const list = answers.get(doc.item);
      if (list) list.push({ score, weight: doc.weight });
      else answers.set(doc.item, [{ score, weight: doc.weight }]);
    };
    const refused = (doc: Doc | undefined, e: BatchItemError) => doc && fail(doc.item, itemErrors.refusedByComprehend(e.ErrorCode));

    if (docs.length === 1) {
      // One text, one part: the plain DetectSentiment call.
      const doc = docs[0]!;
      await this.deps.comprehend.detectSentiment(doc.text, doc.language, deadline).then(
        (answer) => answered(doc, answer.SentimentScore),
        (err) => fail(doc.item, apiErrorOf(err, SENTIMENT)),
      );
    } else {
      await Promise.all(
        batchesByLanguage(docs, (d) => d.language).map((batch) =>
          this.deps.comprehend.batchDetectSentiment(batch.docs.map((d) => d.text), batch.language, deadline).then(
            (out) => {
              for (const r of out.ResultList ?? []) {
                const doc = batch.docs[r.Index];
                if (doc) answered(doc, r.SentimentScore);
              }
              for (const e of out.ErrorList ?? []) refused(batch.docs[e.Index], e);
            },
            (err) => {
              for (const doc of batch.docs) fail(doc.item, apiErrorOf(err, SENTIMENT));
            },
          ),
        ),
      );
    }

    for (const item of items) {
      const { choice } = item;
      const parts = answers.get(item);
      if (!choice || computed.has(item.key) || !parts?.length) continue;
      computed.set(item.key, resultOfParts(parts, choice));
    }
    return computed;
  }

}

function fromItemError(error: ItemError): ApiError {
  return new ApiError(error.code, error.message, { field: error.field });
}

function failedItem(item: Prepared, error: ApiError): FailedItem {
  return {
    index: item.index,
    redacted_text: item.redactedText,
    language_code: item.languageCode,
    default_language: item.defaultLanguage,
    cache_scope: item.cacheScope,
    pii: item.options.pii,
    ...(item.redactedText === item.text ? { cache_key: item.key } : {}),
    error: { code: error.code, type: error.details.upstream ?? "Error", message: error.message },
  };
}
