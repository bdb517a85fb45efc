import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { lookupKey } from "../auth/api-keys.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { AUTH_BLOCK_MS } from "../services.ts";

const BEARER = /^Bearer +([^\s]+)$/i;

/**
 * The key a request presents, failing closed: an `Authorization` header that is not exactly
 * `Bearer <key>` is refused (not passed over for `X-API-Key`), and so are the two headers naming
 * different keys.
 */
function presentedKey(c: Context<AppEnv>): string {
  const authorization = c.req.header("authorization");
  const headerKey = c.req.header("x-api-key")?.trim() || undefined;
  let bearer: string | undefined;
  if (authorization !== undefined) {
    bearer = BEARER.exec(authorization.trim())?.[1];
    if (!bearer) throw new ApiError("UNAUTHORIZED", "The Authorization header must be `Bearer <key>`.");
    if (headerKey !== undefined && headerKey !== bearer) throw new ApiError("UNAUTHORIZED", "Authorization and X-API-Key name different keys: send one.");
  }
  const key = bearer ?? headerKey;
  if (!key) throw new ApiError("UNAUTHORIZED", "Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.");
  return key;
}

/**
 * `Authorization: Bearer <key>` or `X-API-Key: <key>`; unknown 401, disabled 403. A client
 * address with more failed lookups than AUTH_FAILURES allows gets 429 instead of new lookups
 * (a key this isolate already knows still works), so a flood of made-up keys costs neither
 * hashing nor KV reads for long.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const key = presentedKey(c);
  const { apiKeys, blockedAddresses } = c.get("services");
  // Cloudflare sets the client's address on every request it forwards (wrangler dev too);
  // a request without one has no address to count against.
  const address = c.req.header("cf-connecting-ip");
  if (address && blockedAddresses.get(address) && !apiKeys.known.get(key)) {
    throw new ApiError("RATE_LIMIT_EXCEEDED", "Too many requests with unknown API keys from this address.", { retryAfter: AUTH_BLOCK_MS / 1000 });
  }
  // Keys are short tokens; anything huge is not one (and is not worth hashing).
  const found = key.length <= 256 ? await lookupKey(c.env.KV, key, apiKeys) : null;
  if (!found) {
    if (address && !(await c.env.AUTH_FAILURES.limit({ key: address })).success) blockedAddresses.set(address, true);
    throw new ApiError("UNAUTHORIZED", "The API key is not valid.");
  }
  if (found.record.status !== "active") throw new ApiError("FORBIDDEN", "The API key is disabled.");
  c.set("apiKey", found);
  await next();
});
