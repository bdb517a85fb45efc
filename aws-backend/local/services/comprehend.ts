/**
 * Comprehend's JSON protocol (Comprehend_20171127.*) answered by the embedded engine in
 * shared/engine, as AWS answers it: the request model validated first (ValidationException
 * in AWS's message form: a missing or empty field, a code outside the SDK's LanguageCode enum;
 * SerializationException for a wrong type), then the operation's own rules (a valid language it
 * does not support: UnsupportedLanguageException; batch size; document size: a whole-request
 * TextSizeLimitExceededException for single-document calls, a per-document ErrorList entry for
 * the batch ones), then the default request rates of one region (ThrottlingException).
 */
import { analyzeSentiment } from "../../../shared/engine/sentiment/index.ts";
import { detectTargets } from "../../../shared/engine/targets.ts";
import { detectLanguages } from "../../../shared/engine/language.ts";
import { detectPii } from "../../../shared/engine/pii.ts";
import {
  MAX_BATCH_DOCUMENTS,
  MAX_DETECT_BYTES,
  MAX_SENTIMENT_BYTES,
  PII_LANGUAGES,
  SENTIMENT_LANGUAGES,
  TARGETED_SENTIMENT_LANGUAGES,
  billingUnits,
  utf8Bytes,
  type BatchItemError,
  type SentimentJobQuotas,
} from "../../../shared/comprehend.ts";
import { AwsError } from "../protocol.ts";
import type { SentimentJobs } from "./comprehend-jobs.ts";
import type { Usage } from "../usage.ts";

type Body = Record<string, unknown>;

/** The SDK's LanguageCode enum for these operations (@aws-sdk/client-comprehend). */
const LANGUAGE_CODE_ENUM = ["ar", "hi", "ko", "zh-TW", "ja", "zh", "de", "pt", "en", "it", "fr", "es"] as const;

/**
 * Default request rates in one region, per operation, from the Amazon Comprehend Developer
 * Guide (Guidelines and quotas, "Multiple document operations"): single-document operations
 * 20 requests per second; batch operations 250 documents per second, i.e. 10 requests of 25.
 */
export const COMPREHEND_DEFAULT_RATES = { single: 20, batch: 10 } as const;

export interface ComprehendOptions {
  /** Requests per second per operation; `false`: never throttle. Default: AWS's rates. */
  rates?: { single: number; batch: number } | false;
  now?: () => number;
  /** The asynchronous sentiment jobs (comprehend-jobs.ts), when the endpoint runs them. */
  jobs?: SentimentJobs;
  /** The asynchronous jobs' input quotas (default AWS's, SENTIMENT_JOB_QUOTAS; tests lower them to reach them). */
  jobQuotas?: Partial<SentimentJobQuotas>;
  /** An injected per-document failure (faults.ts `document-error`): the ErrorCode for this document, if any. */
  documentError?: (operation: string, text: string) => string | undefined;
}

/** A token bucket per operation: `rate` requests per second, bursts up to one second's worth. */
class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly rateOf: (operation: string) => number,
    private readonly now: () => number,
  ) {}

  admit(operation: string): boolean {
    const rate = this.rateOf(operation);
    const now = this.now();
    const bucket = this.buckets.get(operation) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(operation, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

export class ComprehendService {
  private readonly limiter?: RateLimiter;
  private readonly documentError?: ComprehendOptions["documentError"];
  private readonly jobs?: SentimentJobs;
  /** Throttled requests per operation (for the benches). */
  readonly throttled = new Map<string, number>();

  constructor(
    private readonly usage: Usage,
    options: ComprehendOptions = {},
  ) {
    this.documentError = options.documentError;
    this.jobs = options.jobs;
    const rates = options.rates === undefined ? COMPREHEND_DEFAULT_RATES : options.rates;
    if (rates) this.limiter = new RateLimiter((op) => (op.startsWith("Batch") ? rates.batch : rates.single), options.now ?? Date.now);
  }

  warmUp(): void {
    analyzeSentiment("warming up the lexicon");
    detectLanguages("warming up the language model");
    detectPii("warm.up@example.com");
  }

  handle(operation: string, body: Body): unknown {
    const request = validated(operation, body);
    if (this.limiter && !this.limiter.admit(operation)) {
      this.throttled.set(operation, (this.throttled.get(operation) ?? 0) + 1);
      throw new AwsError(400, "ThrottlingException", "Rate exceeded");
    }
    switch (operation) {
      case "DetectSentiment": {
        const text = single(request.Text as string, MAX_SENTIMENT_BYTES);
        const language = supported(request.LanguageCode as string, SENTIMENT_LANGUAGES);
        this.bill([text], language);
        return analyzeSentiment(text, language);
      }
      case "BatchDetectSentiment": {
        const language = supported(request.LanguageCode as string, SENTIMENT_LANGUAGES);
        return this.batch(operation, request.TextList as string[], MAX_SENTIMENT_BYTES, language, (t) => analyzeSentiment(t, language));
      }
      case "DetectTargetedSentiment": {
        const text = single(request.Text as string, MAX_SENTIMENT_BYTES);
        const language = supported(request.LanguageCode as string, TARGETED_SENTIMENT_LANGUAGES);
        this.bill([text], language);
        return detectTargets(text);
      }
      case "DetectDominantLanguage": {
        const text = single(request.Text as string, MAX_DETECT_BYTES);
        this.bill([text]);
        return { Languages: detectLanguages(text) };
      }
      case "BatchDetectDominantLanguage":
        return this.batch(operation, request.TextList as string[], MAX_SENTIMENT_BYTES, undefined, (t) => ({ Languages: detectLanguages(t) }));
      case "DetectPiiEntities": {
        const text = single(request.Text as string, MAX_DETECT_BYTES);
        const language = supported(request.LanguageCode as string, PII_LANGUAGES);
        this.bill([text], language);
        return { Entities: detectPii(text).map((e) => ({ Score: 0.99, Type: e.type, BeginOffset: e.begin, EndOffset: e.end })) };
      }
      default:
        if (this.jobs && /^(Start|Describe|List|Stop)SentimentDetectionJobs?$/.test(operation)) return this.jobs.handle(operation, request);
        throw new AwsError(400, "UnknownOperationException", `Unknown operation ${operation}`);
    }
  }

  /** A batch answers each document on its own: an oversized one is an ErrorList entry, the others are analysed and billed. */
  private batch<T extends object>(operation: string, texts: string[], maxBytes: number, language: string | undefined, analyse: (text: string) => T) {
    if (texts.length > MAX_BATCH_DOCUMENTS) {
      throw new AwsError(400, "BatchSizeLimitExceededException", `The number of documents in the request exceeds the limit of ${MAX_BATCH_DOCUMENTS}.`);
    }
    const ResultList: ({ Index: number } & T)[] = [];
    const ErrorList: BatchItemError[] = [];
    const analysed: string[] = [];
    texts.forEach((text, Index) => {
      if (utf8Bytes(text) > maxBytes) {
        ErrorList.push({ Index, ErrorCode: "TEXT_SIZE_LIMIT_EXCEEDED", ErrorMessage: `Document size exceeds maximum size limit ${maxBytes} bytes` });
        return;
      }
      const injected = this.documentError?.(operation, text);
      if (injected) {
        ErrorList.push({ Index, ErrorCode: injected, ErrorMessage: "The document could not be processed (injected fault)" });
        return;
      }
      analysed.push(text);
      ResultList.push({ Index, ...analyse(text) });
    });
    this.bill(analysed, language);
    return { ResultList, ErrorList };
  }

  private bill(texts: string[], language?: string): void {
    this.usage.recordDocuments(texts.map(billingUnits), texts.reduce((n, t) => n + [...t].length, 0));
    this.usage.remember(texts, language);
  }
}

function single(text: string, maxBytes: number): string {
  const size = utf8Bytes(text);
  if (size > maxBytes) {
    throw new AwsError(400, "TextSizeLimitExceededException", `Input text size exceeds limit. Max length of request text allowed is ${maxBytes} bytes while in this request the text size is ${size} bytes`);
  }
  return text;
}

function supported(code: string, languages: readonly string[]): string {
  if (!languages.includes(code)) {
    throw new AwsError(400, "UnsupportedLanguageException", `The language code '${code}' is not supported for this operation. Supported: ${languages.join(", ")}`);
  }
  return code;
}

// ---- The request model (what the SDK's shapes say), checked before anything else ----------------

type FieldRule = { name: string; kind: "string" | "stringList" | "languageCode" };

const MODEL: Record<string, FieldRule[]> = {
  DetectSentiment: [{ name: "Text", kind: "string" }, { name: "LanguageCode", kind: "languageCode" }],
  BatchDetectSentiment: [{ name: "TextList", kind: "stringList" }, { name: "LanguageCode", kind: "languageCode" }],
  DetectDominantLanguage: [{ name: "Text", kind: "string" }],
  BatchDetectDominantLanguage: [{ name: "TextList", kind: "stringList" }],
  DetectPiiEntities: [{ name: "Text", kind: "string" }, { name: "LanguageCode", kind: "languageCode" }],
  DetectTargetedSentiment: [{ name: "Text", kind: "string" }, { name: "LanguageCode", kind: "languageCode" }],
};

const camel = (name: string) => name[0]!.toLowerCase() + name.slice(1);

/** AWS lists every violation: "N validation error(s) detected: Value ... at '...' failed to satisfy constraint: ...". */
function validated(operation: string, body: Body): Body {
  const rules = MODEL[operation];
  if (!rules) return body;
  const violations: string[] = [];
  for (const rule of rules) {
    const value = body[rule.name];
    const at = camel(rule.name);
    if (value === undefined || value === null) {
      violations.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      continue;
    }
    if (rule.kind === "stringList") {
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw serialization(rule.name);
      if (value.length === 0) violations.push(`Value '[]' at '${at}' failed to satisfy constraint: Member must have length greater than or equal to 1`);
      value.forEach((v: string, i) => {
        if (v.length === 0) violations.push(`Value at '${at}.${i + 1}.member' failed to satisfy constraint: Member must have length greater than or equal to 1`);
      });
      continue;
    }
    if (typeof value !== "string") throw serialization(rule.name);
    if (rule.kind === "languageCode" && !(LANGUAGE_CODE_ENUM as readonly string[]).includes(value)) {
      violations.push(`Value '${value.slice(0, 20)}' at '${at}' failed to satisfy constraint: Member must satisfy enum value set: [${LANGUAGE_CODE_ENUM.join(", ")}]`);
    } else if (value.length === 0) {
      violations.push(`Value at '${at}' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    }
  }
  if (violations.length > 0) {
    const n = violations.length;
    throw new AwsError(400, "ValidationException", `${n} validation error${n > 1 ? "s" : ""} detected: ${violations.join("; ")}`);
  }
  return body;
}

function serialization(field: string): AwsError {
  return new AwsError(400, "SerializationException", `Start of structure or map found where not expected, or wrong type for '${field}'`);
}
