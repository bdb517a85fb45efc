/** Wire helpers shared by the local services: reading bodies and writing AWS-shaped errors. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";

export type Protocol = "json" | "s3";

/** An error in the shape the named protocol uses, so SDK clients map it to their exception classes. */
export class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = "application/x-amz-json-1.1"): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(payload),
    "x-amzn-requestid": randomUUID(),
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, protocol: Protocol, err: AwsError): void {
  if (protocol === "s3") {
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${err.code}</Code>` +
      `<Message>${escapeXml(err.message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
    res.writeHead(err.status, { "content-type": "application/xml", "content-length": Buffer.byteLength(xml) });
    res.end(xml);
    return;
  }
  const payload = JSON.stringify({ __type: err.code, message: err.message });
  res.writeHead(err.status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(payload),
    "x-amzn-errortype": err.code,
    "x-amzn-requestid": randomUUID(),
  });
  res.end(payload);
}

/** The bucket and key a path-style S3 request names (its path, query ignored; decoded). */
export function s3ObjectOf(url: string): { bucket: string; key: string } {
  const [bucket = "", ...key] = url.split("?")[0]!.split("/").filter(Boolean).map(decodeURIComponent);
  return { bucket, key: key.join("/") };
}

/** The object a copy reads (x-amz-copy-source: `bucket/key` or `/bucket/key`, URL-encoded, maybe `?versionId=`). */
export const copySourceOf = (header: string) => s3ObjectOf(`/${header.replace(/^\//, "")}`);

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses a JSON-protocol body; anything else (invalid UTF-8 included) is the protocol's SerializationException. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.length ? strictUtf8.decode(body) : "{}");
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AwsError(400, "SerializationException", "The request body is not a JSON object");
}
