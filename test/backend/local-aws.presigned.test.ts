/**
 * Presigned (query-string SigV4) S3 requests, as S3 checks them: a URL signed by the official
 * presigner or by aws4fetch (what the Worker signs with) works until X-Amz-Expires, and a
 * tampered URL, a changed signed header or an expired URL is refused with S3's own error; and
 * browsers' preflights are answered from the bucket's CORS rule in the stack.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { AwsClient } from "aws4fetch";
import { LOCAL_RESOURCES, localCredentials } from "../../aws-backend/local/resources.ts";
import { sdkClients, startLocalAws, type LocalAws } from "./local-aws.ts";

let endpoint: LocalAws;
beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0 });
});
afterAll(async () => endpoint?.close());

const bucket = LOCAL_RESOURCES.bucket;
const codeOf = async (res: Response) => /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];

/** What the Worker does: a PUT URL with its content type and length signed, valid `seconds`. */
async function workerPresignedPut(key: string, body: string, seconds: number, signingDate?: Date) {
  const worker = localCredentials("worker");
  const aws = new AwsClient({ ...worker, region: endpoint.region, service: "s3" });
  const url = `${endpoint.url}/${bucket}/${key}?X-Amz-Expires=${seconds}`;
  const headers = { "content-type": "text/csv", "content-length": String(Buffer.byteLength(body)) };
  const signed = await aws.sign(url, { method: "PUT", headers, aws: { signQuery: true, allHeaders: true, ...(signingDate ? { datetime: signingDate.toISOString().replace(/[:-]|\.\d{3}/g, "") } : {}) } });
  return { url: signed.url, headers };
}

describe("presigned S3 requests", () => {
  it("accepts an upload through a URL the Worker signed, and the object is there", async () => {
    const key = `uploads/2026/12/01/job_${"a".repeat(32)}/input`;
    const body = "id,text\n1,Great support\n";
    const { url, headers } = await workerPresignedPut(key, body, 300);
    const res = await fetch(url, { method: "PUT", headers, body });
    expect(res.status).toBe(200);
    const stored = await sdkClients(endpoint).s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await stored.Body!.transformToString()).toBe(body);
  });

  it("accepts a URL from the AWS SDK's own presigner (GET)", async () => {
    const key = "processed/job_presigned/results.jsonl";
    await sdkClients(endpoint).s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"id":"1"}\n' }));
    const url = await getSignedUrl(sdkClients(endpoint).s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 60 });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"id":"1"}\n');
  });

  it("refuses a tampered URL, a different length than signed, and a missing signed header with SignatureDoesNotMatch", async () => {
    const key = `uploads/2026/12/01/job_${"b".repeat(32)}/input`;
    const body = "id,text\n1,ok\n";
    const { url, headers } = await workerPresignedPut(key, body, 300);
    const otherKey = url.replace("job_bbbb", "job_cccc");
    expect(await codeOf(await fetch(otherKey, { method: "PUT", headers, body }))).toBe("SignatureDoesNotMatch");
    const longer = `${body}2,more rows than were signed for\n`;
    const res = await fetch(url, { method: "PUT", headers: { ...headers, "content-length": String(Buffer.byteLength(longer)) }, body: longer });
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe("SignatureDoesNotMatch");
    expect(await codeOf(await fetch(url, { method: "PUT", headers: { "content-type": "text/plain" }, body }))).toBe("SignatureDoesNotMatch");
  });

  it("refuses an expired URL with AccessDenied (Request has expired)", async () => {
    const key = `uploads/2026/12/01/job_${"d".repeat(32)}/input`;
    const body = "id,text\n1,late\n";
    const { url, headers } = await workerPresignedPut(key, body, 60, new Date(Date.now() - 120_000));
    const res = await fetch(url, { method: "PUT", headers, body });
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).toContain("<Code>AccessDenied</Code>");
    expect(text).toContain("Request has expired");
  });

  it("answers a browser's preflight from the stack's CORS rule (PUT with a content type), and refuses others as S3 does", async () => {
    const url = `${endpoint.url}/${bucket}/uploads/2026/12/01/job_${"e".repeat(32)}/input`;
    const ok = await fetch(url, { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "PUT", "access-control-request-headers": "content-type" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
    expect(ok.headers.get("access-control-allow-methods")).toBe("PUT");
    expect(ok.headers.get("access-control-allow-headers")).toBe("content-type");
    const refused = await fetch(url, { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "DELETE" } });
    expect(refused.status).toBe(403);
    expect(await codeOf(refused)).toBe("AccessForbidden");
    // The upload's own answer lets the page read it.
    const body = "id,text\n1,from a browser\n";
    const { url: signed, headers } = await workerPresignedPut(`uploads/2026/12/01/job_${"e".repeat(32)}/input`, body, 300);
    const put = await fetch(signed, { method: "PUT", headers: { ...headers, origin: "https://app.example" }, body });
    expect(put.status).toBe(200);
    expect(put.headers.get("access-control-allow-origin")).toBe("*");
    expect(put.headers.get("access-control-expose-headers")).toBe("ETag");
  });
});
