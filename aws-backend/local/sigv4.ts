/**
 * SigV4 verification for the local AWS endpoint. s3rver and dynalite accept any signature, so
 * without this no test would catch a signing bug in the Worker or the Lambdas: every request's
 * signature is recomputed with @smithy/signature-v4 (the signer the AWS SDK itself uses) from
 * what arrived on the wire, and compared.
 */
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from "node:crypto";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedRequest {
  method: string;
  /** Path and query exactly as received (still percent-encoded). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type SigV4Failure =
  | "MissingAuthentication"
  | "IncompleteSignature"
  | "UnrecognizedClient"
  | "SignatureDoesNotMatch"
  | "RequestExpired"
  | "PresignedUrlExpired"
  | "ContentSha256Mismatch";

export type SigV4Result =
  | { ok: true; service: string; region: string; accessKeyId: string }
  | { ok: false; failure: SigV4Failure; message: string };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** AWS refuses requests whose x-amz-date is more than 15 minutes off. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** A presigned URL lives at most 7 days (X-Amz-Expires, in seconds). */
const MAX_PRESIGNED_SECONDS = 604_800;
const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

/** The hash the signer asks for: plain SHA-256, or HMAC-SHA256 when constructed with a key. */
class Sha256 {
  private hash: Hash | Hmac;
  private readonly secret?: Uint8Array | string;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined ? undefined : toBytes(secret);
    this.hash = this.fresh();
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", this.secret);
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

function header(headers: SignedRequest["headers"], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

export async function verifySigV4(
  req: SignedRequest,
  /** `secretOf`: the secret of an access key the endpoint knows, else undefined. */
  expected: { secretOf: (accessKeyId: string) => string | undefined; region: string; service: string },
  now = Date.now(),
): Promise<SigV4Result> {
  const authorization = header(req.headers, "authorization");
  const queryAuth = new URL(req.url, "http://local").searchParams;
  if (!authorization && queryAuth.get("X-Amz-Algorithm") === "AWS4-HMAC-SHA256") return verifyPresigned(req, queryAuth, expected, now);
  if (!authorization) {
    return { ok: false, failure: "MissingAuthentication", message: "Request is missing Authentication Token" };
  }
  const m = AUTH.exec(authorization);
  if (!m) {
    return { ok: false, failure: "IncompleteSignature", message: "Authorization header is not a well-formed AWS4-HMAC-SHA256 signature" };
  }
  const [, accessKeyId, , region, service, signedHeaderList, signature] = m as unknown as string[];
  const secretAccessKey = expected.secretOf(accessKeyId!);
  if (secretAccessKey === undefined) {
    return { ok: false, failure: "UnrecognizedClient", message: "The security token included in the request is invalid." };
  }
  if (region !== expected.region || service !== expected.service) {
    return {
      ok: false,
      failure: "SignatureDoesNotMatch",
      message: `Credential should be scoped to a valid region and service ('${expected.region}', '${expected.service}').`,
    };
  }
  const amzDate = header(req.headers, "x-amz-date");
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!signingDate) {
    return { ok: false, failure: "IncompleteSignature", message: "Missing or malformed X-Amz-Date header" };
  }
  if (Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) {
    return { ok: false, failure: "RequestExpired", message: "Signature expired: the request time is more than 15 minutes off" };
  }
  const declaredHash = header(req.headers, "x-amz-content-sha256");
  if (declaredHash && /^[0-9a-f]{64}$/.test(declaredHash)) {
    const actual = createHash("sha256").update(req.body).digest("hex");
    if (actual !== declaredHash) {
      return { ok: false, failure: "ContentSha256Mismatch", message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
    }
  }

  const signedHeaders = new Set(signedHeaderList!.split(";"));
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(req.headers, name);
    if (value === undefined) {
      return { ok: false, failure: "SignatureDoesNotMatch", message: `Signed header '${name}' is missing` };
    }
    headers[name] = value;
  }
  const parsed = new URL(req.url, "http://local");
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of parsed.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const isS3 = service === "s3";
  const signer = new SignatureV4({
    credentials: { accessKeyId: accessKeyId!, secretAccessKey },
    region,
    service,
    sha256: Sha256,
    // S3 signs the path as sent; the other services sign it URI-encoded once more.
    uriEscapePath: !isS3,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: req.method,
      protocol: "http:",
      hostname: "local",
      path: isS3 ? parsed.pathname : decodeURIComponent(parsed.pathname),
      query,
      headers,
      body: req.body,
    }),
    { signingDate, signableHeaders: signedHeaders, unsignableHeaders: unsignedOf(headers, signedHeaders) },
  );
  const recomputed = /Signature=([0-9a-f]{64})/.exec(signed.headers["authorization"] ?? "")?.[1] ?? "";
  const same =
    recomputed.length === signature!.length &&
    timingSafeEqual(Buffer.from(recomputed), Buffer.from(signature!));
  if (!same) {
    return {
      ok: false,
      failure: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    };
  }
  return { ok: true, service, region: region!, accessKeyId: accessKeyId! };
}

/**
 * A presigned (query-string) request, as S3 checks it: the credential's scope, the expiry
 * (X-Amz-Date + X-Amz-Expires), every signed header present, and the signature recomputed over
 * the request without its X-Amz-Signature (the payload unsigned, as presigned uploads are).
 */
async function verifyPresigned(
  req: SignedRequest,
  params: URLSearchParams,
  expected: { secretOf: (accessKeyId: string) => string | undefined; region: string; service: string },
  now: number,
): Promise<SigV4Result> {
  const credential = CREDENTIAL.exec(params.get("X-Amz-Credential") ?? "");
  const signingDate = parseAmzDate(params.get("X-Amz-Date") ?? "");
  const expires = Number(params.get("X-Amz-Expires"));
  const signature = params.get("X-Amz-Signature") ?? "";
  const signedHeaderList = params.get("X-Amz-SignedHeaders");
  if (!credential || !signingDate || !signedHeaderList || !/^[0-9a-f]{64}$/.test(signature) || !Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGNED_SECONDS) {
    return { ok: false, failure: "IncompleteSignature", message: "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature parameters." };
  }
  const [, accessKeyId, , region, service] = credential as unknown as string[];
  const secretAccessKey = expected.secretOf(accessKeyId!);
  if (secretAccessKey === undefined) {
    return { ok: false, failure: "UnrecognizedClient", message: "The AWS Access Key Id you provided does not exist in our records." };
  }
  if (region !== expected.region || service !== expected.service) {
    return { ok: false, failure: "SignatureDoesNotMatch", message: `Credential should be scoped to a valid region and service ('${expected.region}', '${expected.service}').` };
  }
  if (now > signingDate.getTime() + expires * 1000) return { ok: false, failure: "PresignedUrlExpired", message: "Request has expired" };

  const signedHeaders = new Set(signedHeaderList.split(";"));
  const headers: Record<string, string> = { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
  for (const name of signedHeaders) {
    const value = header(req.headers, name);
    if (value === undefined) return { ok: false, failure: "SignatureDoesNotMatch", message: `Signed header '${name}' is missing` };
    headers[name] = value;
  }
  const parsed = new URL(req.url, "http://local");
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of parsed.searchParams) {
    if (k === "X-Amz-Signature") continue;
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signer = new SignatureV4({ credentials: { accessKeyId: accessKeyId!, secretAccessKey }, region: region!, service: service!, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  // presign() adds the X-Amz-* parameters itself: give it the rest, and the same date and expiry.
  for (const k of ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders"]) delete query[k];
  const presigned = await signer.presign(
    new HttpRequest({ method: req.method, protocol: "http:", hostname: "local", path: parsed.pathname, query, headers }),
    { signingDate, expiresIn: expires, signableHeaders: signedHeaders, unsignableHeaders: unsignedOf(headers, signedHeaders), unhoistableHeaders: new Set(["x-amz-content-sha256"]) },
  );
  const recomputed = String(presigned.query?.["X-Amz-Signature"] ?? "");
  const same = recomputed.length === signature.length && timingSafeEqual(Buffer.from(recomputed), Buffer.from(signature));
  if (!same) {
    return { ok: false, failure: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided. Check your key and signing method." };
  }
  return { ok: true, service: service!, region: region!, accessKeyId: accessKeyId! };
}

function unsignedOf(headers: Record<string, string>, signed: Set<string>): Set<string> {
  return new Set(Object.keys(headers).filter((h) => !signed.has(h)));
}

function parseAmzDate(v: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}
