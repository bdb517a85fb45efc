/**
 * Body checks in contract order: size (413, before anything reads it), then media type (415);
 * after auth, `parseJsonBody` reads it strictly (invalid UTF-8 or JSON is a 400 naming `body`).
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { authenticate } from "./auth.ts";
import { rateLimit } from "./rate-limit.ts";

export function limitBody(maxBytes: number) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE", `The body is larger than ${maxBytes} bytes.`, { field: "body" });
    },
  });
}

const JSON_MEDIA_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

export const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  const type = c.req.header("content-type") ?? "";
  if (!JSON_MEDIA_TYPE.test(type.trim())) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json (UTF-8).", { field: "content-type" });
  }
  await next();
});

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The body as text; invalid UTF-8 is a 400 naming the body (never silently replaced). */
export async function readUtf8(c: Context<AppEnv>): Promise<string> {
  try {
    return strictUtf8.decode(await c.req.raw.arrayBuffer());
  } catch {
    throw new ApiError("VALIDATION_ERROR", "The body is not valid UTF-8.", { field: "body" });
  }
}

export const parseJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const text = await readUtf8(c);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the body, so it is not passed on.
    throw new ApiError("VALIDATION_ERROR", "The body is not valid JSON.", { field: "body" });
  }
  // The validator reads the parsed value from Hono's body cache: one read, one parse.
  c.req.bodyCache.json = Promise.resolve(value);
  await next();
});

/**
 * The checks every JSON analysis route runs before validation, in contract order: size (413),
 * media type (415), API key (401/403), rate limit (429), strict JSON (400).
 */
export function jsonRouteChecks(maxBytes: number) {
  return [limitBody(maxBytes), requireJson, authenticate, rateLimit, parseJsonBody] as const;
}
