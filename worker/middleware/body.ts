/**
 * Body checks in contract order: size (413, before anything reads it), then media type (415);
 * after auth and the rate limit, the body is read once, strictly: invalid UTF-8 or JSON is a
 * 400 naming `body`. A JSON body lands in Hono's body cache, where the route's zod validator
 * reads it; a CSV or JSON-lines body is kept as text for the route (`payload`).
 */
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv, BodyFormat } from "../context.ts";
import { ApiError } from "../errors.ts";
import { rateLimit } from "../rate-limiter/middleware.ts";
import { authenticate } from "./auth.ts";

/** 413 when the body is larger than the limit: a declared length is refused unread, a streamed body as it passes it. */
export function limitBody(maxBytes: number | ((c: Context<AppEnv>) => number)) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const maxSize = typeof maxBytes === "number" ? maxBytes : maxBytes(c);
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("PAYLOAD_TOO_LARGE", `The body is larger than ${maxSize} bytes.`, { field: "body" });
      },
    })(c, next);
  });
}

const MEDIA_TYPES: Record<string, BodyFormat> = {
  "application/json": "json",
  "text/csv": "csv",
  "application/x-ndjson": "jsonl",
};

/** 415 unless the body is one of `accepted` (UTF-8); the format is kept for the route. */
export function requireMediaType(accepted: readonly BodyFormat[]) {
  const names = Object.entries(MEDIA_TYPES).filter(([, f]) => accepted.includes(f)).map(([type]) => type);
  const message = `Send the body as ${names.join(", ").replace(/, ([^,]*)$/, " or $1")} (UTF-8).`;
  return createMiddleware<AppEnv>(async (c, next) => {
    const [type = "", ...params] = (c.req.header("content-type") ?? "").toLowerCase().split(";").map((p) => p.trim());
    const charset = params.map((p) => p.split("=").map((s) => s.trim())).find(([name]) => name === "charset")?.[1]?.replace(/"/g, "");
    const format = MEDIA_TYPES[type];
    if (!format || !accepted.includes(format) || (charset && charset !== "utf-8")) {
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", message, { field: "content-type" });
    }
    c.set("bodyFormat", format);
    await next();
  });
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Reads the body once: JSON parsed into the body cache, other formats kept as text in `payload`. */
export const readBody = createMiddleware<AppEnv>(async (c, next) => {
  let text: string;
  try {
    text = strictUtf8.decode(await c.req.raw.arrayBuffer());
  } catch {
    throw new ApiError("VALIDATION_ERROR", "The body is not valid UTF-8.", { field: "body" });
  }
  if (c.get("bodyFormat") === "json") {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The parser's message quotes the body, so it is not passed on.
      throw new ApiError("VALIDATION_ERROR", "The body is not valid JSON.", { field: "body" });
    }
    c.req.bodyCache.json = Promise.resolve(value);
  } else {
    c.set("payload", text);
  }
  await next();
});

/**
 * The checks a route with a body runs before validation, in contract order: size (413), media
 * type (415), API key (401/403), rate limit (429), strict reading (400).
 */
export function bodyRouteChecks(maxBytes: number | ((c: Context<AppEnv>) => number), accepted: readonly BodyFormat[] = ["json"]) {
  return [limitBody(maxBytes), requireMediaType(accepted), authenticate, rateLimit, readBody];
}
