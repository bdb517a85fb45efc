/**
 * The clients a request uses, built once per configuration from the validated values and kept
 * per app (one per isolate in production): the circuit breaker, the in-flight map, the memory
 * caches and the signers' key caches outlive a request. Tests build a fresh app for fresh ones.
 */
import { analyzeSentiment } from "../shared/engine/sentiment/index.ts";
import { detectTargets } from "../shared/engine/targets.ts";
import { sha256Hex } from "../shared/hash.ts";
import { MemoryCache } from "../shared/memory-cache.ts";
import type { SentimentResult } from "../shared/schemas.ts";
import { KEY_CACHE_MS, UNKNOWN_KEY_CACHE_MS, type KnownKey } from "./auth/api-keys.ts";
import { Analyzer } from "./analysis/analyzer.ts";
import { DeadLetterQueue } from "./analysis/dead-letter.ts";
import type { TargetsDeps } from "./analysis/targets.ts";
import { CircuitBreaker } from "./aws/circuit-breaker.ts";
import { ComprehendClient } from "./aws/comprehend.ts";
import { awsEndpoint } from "./aws/endpoints.ts";
import type { RetryPolicy } from "./aws/json-protocol.ts";
import { SqsClient } from "./aws/sqs.ts";
import { DynamoDbClient } from "./aws/dynamodb.ts";
import { S3Client } from "./aws/s3.ts";
import { StepFunctionsClient } from "./aws/step-functions.ts";
import { JobsService } from "./jobs/jobs-service.ts";
import { ResultCache } from "./cache/result-cache.ts";
import { PermitPool } from "./rate-limiter/permits.ts";
import { UsageBuffer } from "./rate-limiter/usage-buffer.ts";
import type { Bindings } from "./bindings.ts";
import type { Config } from "./config.ts";

export interface Services {
  comprehend: ComprehendClient;
  analyzer: Analyzer;
  /** Targeted sentiment: Comprehend, and the embedded reading when it cannot answer. */
  targets: TargetsDeps;
  deadLetters: DeadLetterQueue;
  /** Keys seen lately: known ones for KEY_CACHE_MS (a revocation shows within it), unknown ones for UNKNOWN_KEY_CACHE_MS (a new key works within it). */
  apiKeys: { known: MemoryCache<KnownKey>; unknown: MemoryCache<true> };
  /** Client addresses refused new key lookups after too many failed ones (AUTH_FAILURES), until the entry expires. */
  blockedAddresses: MemoryCache<true>;
  permits: PermitPool;
  usage: UsageBuffer;
  jobs: JobsService;
}

/** How long an address that failed too often is refused new key lookups: the AUTH_FAILURES limiter's period. */
export const AUTH_BLOCK_MS = 60_000;
const ISOLATE_RESULTS = 10_000;
const ISOLATE_KEYS = 10_000;


/** What an isolate keeps for one configuration: clients (with their signing-key caches) and shared state. */
interface IsolateServices extends Omit<Services, "analyzer" | "targets"> {
  breaker: CircuitBreaker;
  inflight: Map<string, Promise<SentimentResult>>;
  results: MemoryCache<SentimentResult>;
}

export function createServiceRegistry() {
  const byConfig = new Map<string, IsolateServices>();
  // loadConfig gives the same object for the same env: usually no hashing at all.
  const byConfigObject = new WeakMap<Config, IsolateServices>();

  return function servicesFor(config: Config, env: Bindings): Services {
    // Built once per configuration and isolate; only the KV-bound cache is per request.
    let isolate = byConfigObject.get(config);
    if (!isolate) {
      const fingerprint = sha256Hex(JSON.stringify(config));
      isolate = byConfig.get(fingerprint) ?? buildIsolateServices(config);
      byConfig.set(fingerprint, isolate);
      byConfigObject.set(config, isolate);
    }
    const { breaker: _breaker, inflight, results, ...services } = isolate;
    return {
      ...services,
      targets: { comprehend: isolate.comprehend, fallback: detectTargets },
      analyzer: new Analyzer({
        comprehend: isolate.comprehend,
        cache: new ResultCache(env.KV, config.CACHE_TTL_SECONDS, results),
        inflight,
        engineVersion: config.ENGINE_VERSION,
        ownAttemptReserveMs: config.COMPREHEND_ATTEMPT_TIMEOUT_MS + 50,
        fallback: analyzeSentiment,
      }),
    };
  };
}

function buildIsolateServices(config: Config): IsolateServices {
  const credentials = {
    accessKeyId: config.AWS_ACCESS_KEY_ID,
    secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
    sessionToken: config.AWS_SESSION_TOKEN,
  };
  const retry: RetryPolicy = {
    maxAttempts: 4,
    attemptTimeoutMs: config.COMPREHEND_ATTEMPT_TIMEOUT_MS,
    baseDelayMs: 25,
    maxDelayMs: 200,
    minAttemptMs: 50,
  };
  const breaker = new CircuitBreaker({ failureThreshold: config.BREAKER_FAILURE_THRESHOLD, cooldownMs: config.BREAKER_COOLDOWN_MS });
  const comprehend = new ComprehendClient({ credentials, region: config.AWS_REGION, endpoint: awsEndpoint("comprehend", config.AWS_REGION, config.AWS_ENDPOINT_URL), breaker, retry });
  const sqs = new SqsClient({ credentials, region: config.AWS_REGION, endpoint: awsEndpoint("sqs", config.AWS_REGION, config.AWS_ENDPOINT_URL), retry: { ...retry, maxAttempts: 3, attemptTimeoutMs: 2_000 } });
  const storageRetry: RetryPolicy = { ...retry, attemptTimeoutMs: 3_000, maxAttempts: 3 };
  const usage = new UsageBuffer();
  return {
    breaker,
    inflight: new Map(),
    results: new MemoryCache(ISOLATE_RESULTS, config.CACHE_TTL_SECONDS * 1000),
    comprehend,
    jobs: new JobsService({
      dynamo: new DynamoDbClient({ credentials, region: config.AWS_REGION, endpoint: awsEndpoint("dynamodb", config.AWS_REGION, config.AWS_ENDPOINT_URL), retry: storageRetry }),
      s3: new S3Client({ credentials, region: config.AWS_REGION, endpoint: config.AWS_ENDPOINT_URL, bucket: config.JOBS_BUCKET, retry: storageRetry }),
      stepFunctions: new StepFunctionsClient({ credentials, region: config.AWS_REGION, endpoint: awsEndpoint("states", config.AWS_REGION, config.AWS_ENDPOINT_URL), retry: storageRetry }),
      uploadDeadline: { stateMachineArn: config.UPLOAD_DEADLINE_STATE_MACHINE_ARN, graceSeconds: config.UPLOAD_GRACE_SECONDS },
      table: config.JOBS_TABLE,
    }),
    deadLetters: new DeadLetterQueue(sqs, config.DLQ_URL),
    apiKeys: { known: new MemoryCache(ISOLATE_KEYS, KEY_CACHE_MS), unknown: new MemoryCache(ISOLATE_KEYS, UNKNOWN_KEY_CACHE_MS) },
    blockedAddresses: new MemoryCache(ISOLATE_KEYS, AUTH_BLOCK_MS),
    permits: new PermitPool(usage),
    usage,
  };
}
