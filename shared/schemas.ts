/**
 * The HTTP contract's bodies, defined once: the Worker validates with them, /openapi.json is
 * generated from them, and the tests parse responses with them.
 */
import { z } from "zod";
import { SENTIMENT_LABELS, SENTIMENT_LANGUAGES, characterCount } from "./comprehend.ts";
import { PII_TYPES } from "./engine/pii.ts";
import { ASSUMED_ROW_BYTES } from "./job-units.ts";
import { PLAN_LIMIT_NAMES, type PlanLimitName } from "./tiers.ts";
import { ITEM_ERROR_CODES } from "./pipeline/item-errors.ts";
import { LANGUAGE_SOURCES } from "./pipeline/language.ts";

/** Characters as a user counts them (code points), after trimming. */
export const MAX_SYNC_CHARACTERS = 5_000;
export const MAX_BATCH_ITEMS = 25;

export const SentimentLabel = z.enum(SENTIMENT_LABELS);
export type SentimentLabel = z.infer<typeof SentimentLabel>;

export const PiiMode = z
  .enum(["redact", "detect", "off"])
  .describe("redact: entities replaced by [EMAIL], [PHONE], ... before analysis; detect: flagged only; off: not checked");
export type PiiMode = z.infer<typeof PiiMode>;

export const LanguageCode = z.enum(SENTIMENT_LANGUAGES).describe("A language Comprehend analyses; omitted: detected");

const DefaultLanguage = z
  .enum(SENTIMENT_LANGUAGES)
  .describe("The language of a text whose language cannot be told (too short, undetermined or unsupported); omitted: the key's, else en");

export const AnalyzeOptions = z
  .object({
    language_code: LanguageCode.optional(),
    default_language: DefaultLanguage.optional(),
    pii: PiiMode.default("redact"),
    include_confidence: z.boolean().default(true).describe("false: the answer omits `scores` and `confidence`"),
    fallback: z
      .boolean()
      .default(true)
      .describe("When Comprehend cannot answer in time: true answers from the embedded engine (engine: embedded), false answers 503"),
  })
  .strict();
export type AnalyzeOptions = z.infer<typeof AnalyzeOptions>;

const DEFAULT_ANALYZE_OPTIONS: AnalyzeOptions = { pii: "redact", include_confidence: true, fallback: true };

/** Which engine answered: Comprehend (live or cached), or the embedded engine when Comprehend could not. */
export const AnswerEngine = z.enum(["comprehend", "embedded"]).describe("embedded: Comprehend could not answer in time; never cached");

/** A text to analyse in real time: 1..5,000 characters once trimmed. */
export const SyncText = z
  .string()
  .refine((t) => t.trim().length > 0, "must not be empty or only whitespace")
  .refine((t) => characterCount(t.trim()) <= MAX_SYNC_CHARACTERS, `must be at most ${MAX_SYNC_CHARACTERS} characters`);

/** At most this many sentences get their own result (each is billed as a document). */
export const MAX_SENTENCES = 100;

/** Options of one real-time text: the common ones, and the sentence- and target-level results. */
export const SyncOptions = AnalyzeOptions.extend({
  sentences: z
    .boolean()
    .default(false)
    .describe(`true: each sentence's sentiment too, with code-point offsets into the text as submitted (at most ${MAX_SENTENCES} sentences; each billed as a document, 3 units at least)`),
  targets: z
    .boolean()
    .default(false)
    .describe("true: the sentiment of each entity or aspect mentioned (\"the battery\": NEGATIVE), by Comprehend's targeted sentiment (English only; billed as one more request of the text's units)"),
}).strict();
export type SyncOptions = z.infer<typeof SyncOptions>;

const DEFAULT_SYNC_OPTIONS: SyncOptions = { ...DEFAULT_ANALYZE_OPTIONS, sentences: false, targets: false };

export const AnalyzeSyncRequest = z
  .object({
    text: SyncText,
    options: SyncOptions.default(DEFAULT_SYNC_OPTIONS),
  })
  .strict();
export type AnalyzeSyncRequest = z.infer<typeof AnalyzeSyncRequest>;

export const Scores = z.object({
  positive: z.number().min(0).max(1),
  negative: z.number().min(0).max(1),
  neutral: z.number().min(0).max(1),
  mixed: z.number().min(0).max(1),
});
export type Scores = z.infer<typeof Scores>;

export const PiiTypeCounts = z
  .partialRecord(z.enum(PII_TYPES), z.number().int().positive())
  .describe("Entity types found and how many of each; never the values");

/** What analysing one text yields; this (and nothing about the text) is what the cache holds. */
export const SentimentResult = z.object({
  sentiment: SentimentLabel,
  score: z.number().min(0).max(1).describe("The score of the chosen sentiment"),
  scores: Scores.optional(),
  language_code: z.string(),
  language_source: z.enum(LANGUAGE_SOURCES).describe("given: options.language_code; detected; default: the text was too short or its language unsupported"),
  confidence: z.number().min(0).max(1).optional().describe("How far the chosen sentiment leads the runner-up"),
});
export type SentimentResult = z.infer<typeof SentimentResult>;

/** Where a result sits in the submitted text: code points, [begin, end). */
const Span = {
  begin_offset: z.number().int().min(0),
  end_offset: z.number().int().min(0),
};

export const SentenceResult = z.object({
  ...Span,
  sentiment: SentimentLabel,
  score: z.number().min(0).max(1),
  scores: Scores.optional(),
});
export type SentenceResult = z.infer<typeof SentenceResult>;

export const TargetResult = z.object({
  text: z.string().describe("The mention as analysed (PII redacted under pii=redact)"),
  type: z.string().describe("Comprehend's entity type: PERSON, BRAND, COMMERCIAL_ITEM, ATTRIBUTE, OTHER, ..."),
  group: z.number().int().min(0).describe("Mentions of one entity share a group"),
  begin_offset: Span.begin_offset.optional().describe("Absent when the mention cannot be found in the submitted text (redacted)"),
  end_offset: Span.end_offset.optional(),
  sentiment: SentimentLabel,
  score: z.number().min(0).max(1),
  scores: Scores.optional(),
});
export type TargetResult = z.infer<typeof TargetResult>;

export const AnalyzeSyncResponse = SentimentResult.extend({
  sentences: z.array(SentenceResult).optional().describe("With options.sentences"),
  targets: z.array(TargetResult).optional().describe("With options.targets"),
  pii_detected: z.boolean(),
  pii_types: PiiTypeCounts,
  cached: z.boolean(),
  engine: AnswerEngine,
  processing_time_ms: z.number().int().min(0),
  request_id: z.string(),
});
export type AnalyzeSyncResponse = z.infer<typeof AnalyzeSyncResponse>;

export const BatchItem = z
  .object({
    id: z.string().min(1).max(128).optional(),
    // Emptiness and length are checked per item, so one bad item fails alone.
    text: z.string(),
  })
  .strict();

export const AnalyzeBatchRequest = z
  .object({
    items: z.array(BatchItem).min(1).max(MAX_BATCH_ITEMS),
    options: AnalyzeOptions.default(DEFAULT_ANALYZE_OPTIONS),
  })
  .strict();
export type AnalyzeBatchRequest = z.infer<typeof AnalyzeBatchRequest>;

export const ItemError = z.object({
  code: z.enum(ITEM_ERROR_CODES),
  message: z.string(),
  field: z.string().optional(),
});

export const BatchItemResult = z.union([
  SentimentResult.extend({
    index: z.number().int(),
    id: z.string().optional(),
    pii_detected: z.boolean(),
    pii_types: PiiTypeCounts,
    cached: z.boolean(),
    engine: AnswerEngine,
  }),
  z.object({ index: z.number().int(), id: z.string().optional(), error: ItemError }),
]);

export const AnalyzeBatchResponse = z.object({
  results: z.array(BatchItemResult),
  succeeded: z.number().int(),
  failed: z.number().int(),
  processing_time_ms: z.number().int().min(0),
  request_id: z.string(),
});
export type AnalyzeBatchResponse = z.infer<typeof AnalyzeBatchResponse>;

/** What a key has used, as its rate limiter keeps it. */
export const KeyUsage = z.object({
  requests: z.number().int(),
  characters: z.number().int(),
  comprehend_units: z.number().int().describe("Every unit billed: real-time requests, and jobs once they end"),
  cache_hits: z.number().int(),
  fallback_answers: z.number().int().describe("Texts answered by the embedded engine because Comprehend could not (no units billed)"),
  job_units: z.number().int().describe("The part of comprehend_units billed by batch jobs, counted as each job ends"),
});
export type KeyUsage = z.infer<typeof KeyUsage>;

export const UsageResponse = z.object({
  key_id: z.string(),
  tenant_id: z.string(),
  tier: z.string(),
  rate_limit: z.object({ limit: z.number().int(), remaining: z.number().int(), window_seconds: z.number().int() }),
  limits: z
    .object(Object.fromEntries(PLAN_LIMIT_NAMES.map((name) => [name, z.number().int()])) as Record<PlanLimitName, z.ZodNumber>)
    .describe("This key's plan: requests and Comprehend units per rolling hour and day, and its tenant's jobs running at once"),
  spend: z
    .object({
      units_last_hour: z.number().int(),
      units_last_day: z.number().int(),
      units_reserved_for_jobs: z.number().int().describe("Estimates of this key's jobs not yet ended, held against the limits until each is settled to what it billed"),
      active_jobs: z.number().int().describe("The tenant's jobs not yet ended"),
    })
    .describe("Units counted against the limits now (taken before the work, settled after)"),
  usage: KeyUsage,
  estimated_cost_usd: z.number().describe("Comprehend units x $0.0001 (the sentiment list price)"),
});

export const ComponentHealth = z.object({
  status: z.enum(["up", "slow", "down"]).describe("slow: no answer within the probe's time, which under load is not down"),
  latency_ms: z.number(),
  error: z.string().optional(),
});

export const LivenessResponse = z.object({
  status: z.literal("live"),
  version: z.string(),
});

export const HealthResponse = z.object({
  status: z.enum(["healthy", "degraded", "unhealthy"]),
  components: z.record(z.string(), ComponentHealth),
  checked_at: z.string().describe("When the probes ran: answers are shared for a few seconds, so health checks add no load"),
  version: z.string(),
});

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    request_id: z.string(),
    field: z.string().optional(),
    retry_after: z.number().int().optional(),
    limit: z.enum(PLAN_LIMIT_NAMES).optional().describe("The plan limit that refused the request (429 and 413)"),
  }),
});

// ---- Batch jobs -------------------------------------------------------------------------------

export const MAX_ASYNC_ITEMS = 10_000;
/** The largest file one presigned PUT takes (POST /v1/jobs): S3's limit for a single PUT, 5 GiB. */
export const MAX_UPLOAD_BYTES = 5 * 1024 ** 3;

export const AsyncOptions = z
  .object({
    language_code: LanguageCode.optional(),
    default_language: DefaultLanguage.optional(),
    pii: PiiMode.default("redact"),
    callback_url: z.string().max(2_048).optional().describe("https URL to a public host, POSTed a signed event when the job ends"),
  })
  .strict();
export type AsyncOptions = z.infer<typeof AsyncOptions>;

const SourceId = z.string().min(1).max(256).describe("Your reference for the job, echoed nowhere else");

export const AnalyzeAsyncRequest = z
  .object({
    text: z.string().refine((t) => t.trim().length > 0, "must not be empty or only whitespace").optional(),
    items: z.array(BatchItem).min(1).max(MAX_ASYNC_ITEMS).optional(),
    source_id: SourceId.optional(),
    options: AsyncOptions.default({ pii: "redact" }),
  })
  .strict()
  .refine((b) => (b.text === undefined) !== (b.items === undefined), { message: "send either text or items", path: ["text"] });
export type AnalyzeAsyncRequest = z.infer<typeof AnalyzeAsyncRequest>;

/** Options of a CSV or JSON-lines body, given in the query string. */
export const AsyncQuery = AsyncOptions.extend({ source_id: SourceId.optional() }).strict();

/** The path parameter of the job routes. */
export const JobIdParams = z.object({ job_id: z.string().describe("The job_id POST /v1/analyze/async answered with") });

export const AnalyzeAsyncResponse = z.object({
  job_id: z.string(),
  status: z.literal("PENDING"),
  message: z.string(),
  status_url: z.string(),
  created_at: z.string(),
  estimated_completion: z.string(),
});

/** POST /v1/jobs: a job whose file the caller uploads straight to S3. */
export const CreateJobRequest = z
  .object({
    format: z.enum(["csv", "jsonl"]).describe("csv: RFC 4180 with a header (a text column, an optional id); jsonl: one {\"id\"?, \"text\"} per line"),
    bytes: z
      .number()
      .int()
      .min(1)
      .max(MAX_UPLOAD_BYTES)
      .describe(`The file's exact size: the upload URL is signed for this Content-Length (at most ${MAX_UPLOAD_BYTES} bytes, S3's single-PUT limit)`),
    items: z
      .number()
      .int()
      .min(1)
      .max(MAX_UPLOAD_BYTES)
      .optional()
      .describe(`How many rows the file holds, at most: the job's Comprehend units are estimated from it and bytes (without it, a row every ${ASSUMED_ROW_BYTES} bytes). A file that would bill more than its estimate ends FAILED (UNITS_OVER_RESERVATION) before any analysis`),
    source_id: SourceId.optional(),
    options: AsyncOptions.default({ pii: "redact" }),
  })
  .strict();
export type CreateJobRequest = z.infer<typeof CreateJobRequest>;

export const CreateJobResponse = z.object({
  job_id: z.string(),
  status: z.literal("AWAITING_UPLOAD"),
  upload: z.object({
    url: z.string().describe("A presigned S3 URL: PUT the file to it with exactly these headers"),
    method: z.literal("PUT"),
    headers: z.record(z.string(), z.string()),
    expires_at: z.string().describe("After this the URL is refused and the job ends FAILED (UPLOAD_EXPIRED)"),
  }),
  status_url: z.string(),
  created_at: z.string(),
});
export type CreateJobResponse = z.infer<typeof CreateJobResponse>;

/** One line of a completed job's results: the item's id, and its analysis or its error. */
export const JobItemResult = SentimentResult.partial()
  .extend({
    id: z.string(),
    line: z.number().int().optional().describe("The line of the job's file the row starts on"),
    pii_detected: z.boolean(),
    pii_types: PiiTypeCounts,
    error: ItemError.optional(),
  });
export type JobItemResult = z.infer<typeof JobItemResult>;

/** A completed job's summary: kept on its row by aggregate, answered by its status. */
export const JobSummary = z.object({
  sentiment: SentimentLabel.optional().describe("Absent when no item could be analysed (every item failed): nothing is invented"),
  score: z.number().optional(),
  scores: Scores.optional(),
  language_code: z.string().optional().describe("The most frequent language among the analysed items"),
  languages: z.record(z.string(), z.number().int()).describe("Analysed items per language"),
  item_count: z.number().int(),
  failed_items: z.number().int(),
  units_billed: z.number().int().optional().describe("Comprehend units the job's distinct texts were billed (100 characters a unit, at least 3 a text)"),
  route: z.enum(["fast", "async"]).optional().describe("fast: BatchDetectSentiment per 25 texts; async: Comprehend's asynchronous jobs"),
  distribution: z.record(SentimentLabel, z.number().int()),
  processing_time_ms: z.number().int(),
});
export type JobSummary = z.infer<typeof JobSummary>;

export const JobStatusResponse = z.discriminatedUnion("status", [
  z.object({ status: z.literal("AWAITING_UPLOAD"), job_id: z.string(), created_at: z.string(), upload_expires_at: z.string() }),
  z.object({
    status: z.enum(["PENDING", "PROCESSING"]),
    job_id: z.string(),
    stage: z
      .enum(["queued", "preparing", "analysing", "aggregating"])
      .describe("queued: the file is stored; preparing: reading rows, redacting, finding languages; analysing: Comprehend batches; aggregating: writing results"),
    items: z.number().int().optional().describe("Rows read from the file, once preparation is done"),
    created_at: z.string(),
    estimated_completion: z.string(),
    progress: z.object({ batches_done: z.number().int(), batch_count: z.number().int(), percent: z.number() }).optional(),
    preparation: z
      .object({ parts_done: z.number().int(), part_count: z.number().int(), rows_read: z.number().int() })
      .optional()
      .describe("While preparing: the upload's parts (of at most a million rows, prepared side by side), those done, and the rows they read"),
    aggregation: z
      .object({ parts_done: z.number().int(), part_count: z.number().int() })
      .optional()
      .describe("While aggregating: the parts whose results are written (side by side), of the upload's parts"),
  }),
  z.object({ status: z.literal("COMPLETED"), job_id: z.string(), result: JobSummary, completed_at: z.string() }),
  z.object({ status: z.literal("FAILED"), job_id: z.string(), error: z.object({ code: z.string(), message: z.string() }), failed_at: z.string() }),
]);
