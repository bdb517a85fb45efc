/**
 * Amazon S3, PutObject under uploads/ and GetObject under processed/ (all the Worker may do), with
 * aws4fetch; and presigned PUT URLs to uploads/, which carry the Worker's own permission.
 */
import type { AwsClient } from "aws4fetch";
import type { Deadline } from "./deadline.ts";
import { s3ObjectUrl } from "./endpoints.ts";
import { AwsCallError, signerFor, withRetries, type RetryPolicy } from "./json-protocol.ts";

export class S3Client {
  private readonly aws: AwsClient;

  constructor(
    private readonly options: {
      credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
      region: string;
      /** Set: path-style requests to it (the local endpoint); unset: the bucket's virtual host. */
      endpoint?: string;
      bucket: string;
      retry: RetryPolicy;
    },
  ) {
    this.aws = signerFor("s3", options);
  }

  async putObject(key: string, body: ArrayBuffer | string, contentType: string, deadline: Deadline): Promise<void> {
    const res = await this.send(key, { method: "PUT", body, headers: { "content-type": contentType } }, deadline);
    await res.body?.cancel();
  }

  /**
   * A presigned PUT URL for `key` (query-string SigV4, valid `seconds`), with these headers
   * signed too: the uploader must send exactly this Content-Type and Content-Length.
   */
  async presignPut(key: string, headers: Record<string, string>, seconds: number): Promise<string> {
    return this.presign("PUT", key, headers, seconds);
  }

  /** A presigned GET URL for `key` (under processed/, what the Worker may read), valid `seconds`. */
  async presignGet(key: string, seconds: number): Promise<string> {
    return this.presign("GET", key, {}, seconds);
  }

  private async presign(method: "GET" | "PUT", key: string, headers: Record<string, string>, seconds: number): Promise<string> {
    const url = `${s3ObjectUrl(this.options.bucket, key, this.options.region, this.options.endpoint)}?X-Amz-Expires=${seconds}`;
    const signed = await this.aws.sign(url, { method, headers, aws: { signQuery: true, allHeaders: true } });
    return signed.url;
  }

  /**
   * The object's response (its body streams), or null when there is none. S3 says 404 for a
   * missing key only to a principal allowed s3:ListBucket; to the Worker (which is not) it says
   * 403 AccessDenied, so both mean "no such object" here.
   */
  async getObject(key: string, deadline: Deadline): Promise<Response | null> {
    const res = await this.send(key, { method: "GET" }, deadline, [403, 404]);
    if (res.status === 404 || res.status === 403) {
      if (res.status === 403) console.error(JSON.stringify({ level: "warn", event: "s3_get_denied_or_missing", key_prefix: key.split("/")[0] }));
      await res.body?.cancel();
      return null;
    }
    return res;
  }

  /** One S3 request, retried on throttling (SlowDown), 5xx, timeouts and dropped connections. */
  private async send(key: string, init: RequestInit, deadline: Deadline, accepted: number[] = []): Promise<Response> {
    const url = s3ObjectUrl(this.options.bucket, key, this.options.region, this.options.endpoint);
    return withRetries(async (attempt, timeoutMs) => {
      let res: Response;
      try {
        res = await this.aws.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      } catch {
        return new AwsCallError("timeout", "NetworkError", "S3 did not answer", 0, attempt);
      }
      if (res.ok || accepted.includes(res.status)) return res;
      const text = new TextDecoder().decode(await res.arrayBuffer());
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `Http${res.status}`;
      const kind = code === "SlowDown" || res.status === 429 ? "throttled" : res.status >= 500 ? "server" : "client";
      return new AwsCallError(kind, code, `S3 ${code}`, res.status, attempt);
    }, deadline, this.options.retry);
  }
}
