/** What wrangler.toml binds to the Worker: the storage bindings, and the variables worker/config.ts validates. */
import type { ConfigVariables } from "./config.ts";
import type { RateLimiter } from "./rate-limiter/durable-object.ts";

export type Bindings = ConfigVariables & {
  KV: KVNamespace;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Workers' rate limiting binding: failed authentications per client address (wrangler.toml [[ratelimits]]). */
  AUTH_FAILURES: RateLimit;
};
