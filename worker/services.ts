/**
 * The clients a request uses, built from the validated configuration. They are kept per app
 * (one per isolate in production) so the circuit breaker and the in-flight map outlive a
 * request; tests build a fresh app to get fresh ones.
 */
import { MemoryCache } from "../shared/memory-cache.ts";
import type { SentimentResult } from "../shared/schemas.ts";
import type { KnownKey } from "./auth/api-keys.ts";
import { Analyzer } from "./analysis/analyzer.ts";
import { DeadLetterQueue } from "./analysis/dead-letter.ts";
import { CircuitBreaker } from "./aws/circuit-breaker.ts";
import { ComprehendClient } from "./aws/comprehend.ts";
import type { RetryPolicy } from "./aws/json-protocol.ts";
import { SqsClient } from "./aws/sqs.ts";
import { DynamoDbClient } from "./aws/dynamodb.ts";
import { S3Client } from "./aws/s3.ts";
import { JobsService } from "./jobs/jobs-service.ts";
import { ResultCache } from "./cache/result-cache.ts";
import { PermitPool } from "./rate-limit/permits.ts";
import { UsageBuffer } from "./rate-limit/usage-buffer.ts";
import type { Bindings } from "./bindings.ts";
import type { Config } from "./config.ts";

export interface Services {
  comprehend: ComprehendClient;
  analyzer: Analyzer;
  deadLetters: DeadLetterQueue;
  /** Keys seen in the last few seconds (a revocation shows within KEY_CACHE_MS). */
  apiKeys: MemoryCache<KnownKey>;
  permits: PermitPool;
  usage: UsageBuffer;
  jobs: JobsService;
}

/** How long an isolate trusts a key record it read: revocations take effect within this. */
export const KEY_CACHE_MS = 30_000;
const ISOLATE_RESULTS = 10_000;
const ISOLATE_KEYS = 10_000;

/** The public endpoint of a service, unless AWS_ENDPOINT_URL sends everything elsewhere. */
export function awsEndpoint(config: Config, service: "comprehend" | "sqs" | "dynamodb"): string {
  return config.AWS_ENDPOINT_URL ?? `https://${service}.${config.AWS_REGION}.amazonaws.com`;
}

export function createServiceRegistry() {
  const isolateState = new Map<
    string,
    {
      breaker: CircuitBreaker;
      inflight: Map<string, Promise<SentimentResult>>;
      results: MemoryCache<SentimentResult>;
      apiKeys: MemoryCache<KnownKey>;
      permits: PermitPool;
      usage: UsageBuffer;
    }
  >();

  return function servicesFor(config: Config, env: Bindings): Services {
    const fingerprint = [
      awsEndpoint(config, "comprehend"),
      config.ENGINE_VERSION,
      config.CACHE_TTL_SECONDS,
      config.BREAKER_FAILURE_THRESHOLD,
      config.BREAKER_COOLDOWN_MS,
    ].join("|");
    let state = isolateState.get(fingerprint);
    if (!state) {
      const usage = new UsageBuffer();
      state = {
        breaker: new CircuitBreaker({ failureThreshold: config.BREAKER_FAILURE_THRESHOLD, cooldownMs: config.BREAKER_COOLDOWN_MS }),
        inflight: new Map(),
        results: new MemoryCache(ISOLATE_RESULTS, config.CACHE_TTL_SECONDS * 1000),
        apiKeys: new MemoryCache(ISOLATE_KEYS, KEY_CACHE_MS),
        permits: new PermitPool(usage),
        usage,
      };
      isolateState.set(fingerprint, state);
    }
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
    const comprehend = new ComprehendClient({
      credentials,
      region: config.AWS_REGION,
      endpoint: awsEndpoint(config, "comprehend"),
      breaker: state.breaker,
      retry,
    });
    const sqs = new SqsClient({ credentials, region: config.AWS_REGION, endpoint: awsEndpoint(config, "sqs"), retry: { ...retry, maxAttempts: 3, attemptTimeoutMs: 2_000 } });
    const storageRetry: RetryPolicy = { ...retry, attemptTimeoutMs: 3_000, maxAttempts: 3 };
    const jobs = new JobsService({
      dynamo: new DynamoDbClient({ credentials, region: config.AWS_REGION, endpoint: awsEndpoint(config, "dynamodb"), retry: storageRetry }),
      s3: new S3Client({ credentials, region: config.AWS_REGION, endpoint: config.AWS_ENDPOINT_URL, bucket: config.JOBS_BUCKET }),
      table: config.JOBS_TABLE,
    });
    return {
      jobs,
      comprehend,
      analyzer: new Analyzer({
        comprehend,
        cache: new ResultCache(env.KV, config.CACHE_TTL_SECONDS, state.results),
        inflight: state.inflight,
        engineVersion: config.ENGINE_VERSION,
      }),
      deadLetters: new DeadLetterQueue(sqs, config.DLQ_URL),
      apiKeys: state.apiKeys,
      permits: state.permits,
      usage: state.usage,
    };
  };
}
