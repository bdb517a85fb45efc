import { createMiddleware } from "hono/factory";
import { lookupKey } from "../auth/api-keys.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

/** `Authorization: Bearer <key>` or `X-API-Key: <key>`; unknown 401, disabled 403. */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const bearer = c.req.header("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  const key = bearer ?? c.req.header("x-api-key")?.trim();
  if (!key) throw new ApiError("UNAUTHORIZED", "Send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.");
  // Keys are short tokens; anything huge is not one (and is not worth hashing).
  const found = key.length <= 256 ? await lookupKey(c.env.KV, key, c.get("services").apiKeys) : null;
  if (!found) throw new ApiError("UNAUTHORIZED", "The API key is not valid.");
  if (found.record.status !== "active") throw new ApiError("FORBIDDEN", "The API key is disabled.");
  c.set("apiKey", found);
  await next();
});
