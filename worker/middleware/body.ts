/**
 * Body checks in contract order: a declared size over the limit (413, before anything reads
 * it), then media type (415); after auth and the rate limit, the body is read once, strictly:
 * over the limit as it streams in 413, not all there within BODY_READ_TIMEOUT_MS 408, invalid
 * UTF-8 or JSON 400 naming `body`. A JSON body lands in Hono's body cache, where the route's zod validator
 * reads it; a CSV or JSON-lines body is kept as text for the route (`payload`).
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv, BodyFormat } from "../context.ts";
import { ApiError } from "../errors.ts";
import { rateLimit } from "../rate-limiter/middleware.ts";
import { authenticate } from "./auth.ts";

type ByteLimit = number | ((c: Context<AppEnv>) => number);
const limitOf = (maxBytes: ByteLimit, c: Context<AppEnv>) => (typeof maxBytes === "number" ? maxBytes : maxBytes(c));
const tooLarge = (maxBytes: number) => new ApiError("PAYLOAD_TOO_LARGE", `The body is larger than ${maxBytes} bytes.`, { field: "body" });

/** 413 for a declared length over the limit, unread; a body of unknown length is held to the limit as it is read (readBody). */
function limitBody(maxBytes: ByteLimit) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && c.req.header("transfer-encoding") === undefined && Number(declared) > limitOf(maxBytes, c)) throw tooLarge(limitOf(maxBytes, c));
    await next();
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

/**
 * The whole body, at most `maxBytes` (413 as soon as it passes them) and within `timeoutMs`: a
 * client that stops sending (a body shorter than its Content-Length, a stalled chunked upload)
 * is a 408 then, one that hangs up mid-body a 400, so no request holds the Worker open on a body
 * that never comes.
 */
async function bodyBytes(request: Request, maxBytes: number, timeoutMs: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ApiError("REQUEST_TIMEOUT", `The body did not arrive within ${timeoutMs / 1000} s of the request: send it whole, at its declared Content-Length.`, { field: "body" })),
      timeoutMs,
    );
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([
        reader.read().catch(() => {
          throw new ApiError("VALIDATION_ERROR", "The body ended before its declared Content-Length.", { field: "body" });
        }),
        stalled,
      ]);
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } catch (err) {
    reader.cancel().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * An answer given before the body was read says the body is not wanted: a proxy in front that
 * is still sending it (wrangler dev's, which otherwise holds the answer until the whole declared
 * length has gone through) stops, and the client gets its 4xx at once.
 */
export function discardUnreadBody(request: Request): void {
  if (request.body && !request.body.locked) request.body.cancel().catch(() => undefined);
}

/** Reads the body once, held to `maxBytes` and the body deadline: JSON parsed into the body cache, other formats kept as text in `payload`. */
function readBody(maxBytes: ByteLimit) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const bytes = await bodyBytes(c.req.raw, limitOf(maxBytes, c), c.get("config").BODY_READ_TIMEOUT_MS);
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
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
}

/**
 * The checks a route with a body runs before validation, in contract order: size (413), media
 * type (415), API key (401/403), rate limit (429), strict reading within the body deadline (400/408).
 */
export function bodyRouteChecks(maxBytes: ByteLimit, accepted: readonly BodyFormat[] = ["json"]) {
  return [limitBody(maxBytes), requireMediaType(accepted), authenticate, rateLimit, readBody(maxBytes)];
}
