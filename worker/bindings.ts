/** What wrangler.toml binds to the Worker: storage bindings and the variables worker/config.ts validates. */
import type { RateLimiter } from "./durable-objects/rate-limiter.ts";

export interface Bindings {
  KV: KVNamespace;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  AWS_REGION?: string;
  AWS_ENDPOINT_URL?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_SESSION_TOKEN?: string;
  JOBS_BUCKET?: string;
  JOBS_TABLE?: string;
  DLQ_URL?: string;
  ENGINE_VERSION?: string;
  SYNC_DEADLINE_MS?: string;
  COMPREHEND_ATTEMPT_TIMEOUT_MS?: string;
  CACHE_TTL_SECONDS?: string;
  BREAKER_FAILURE_THRESHOLD?: string;
  BREAKER_COOLDOWN_MS?: string;
  ASYNC_MAX_BYTES?: string;
  ALLOW_LOOPBACK_CALLBACKS?: string;
}
