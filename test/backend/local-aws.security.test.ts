/**
 * Every request's SigV4 signature is verified, as AWS does: a wrong secret, an unknown key or a
 * body changed after signing is refused with the service's own error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DetectSentimentCommand } from "@aws-sdk/client-comprehend";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { AwsClient } from "aws4fetch";
import { LOCAL_RESOURCES } from "../../aws-backend/local/resources.ts";
import { sdkClients, startLocalAws, type LocalAws } from "./local-aws.ts";

let endpoint: LocalAws;
beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0 });
});
afterAll(async () => endpoint?.close());

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error("expected the request to be refused");
};

describe("SigV4 verification", () => {
  it("refuses a wrong secret on every service with 403 and the service's error name", async () => {
    const wrong = sdkClients(endpoint, { accessKeyId: "test", secretAccessKey: "not-the-secret" });
    expect(await errorOf(wrong.comprehend.send(new DetectSentimentCommand({ Text: "I love this product!", LanguageCode: "en" })))).toEqual({
      name: "InvalidSignatureException",
      status: 403,
    });
    expect(await errorOf(wrong.dynamo.send(new GetCommand({ TableName: LOCAL_RESOURCES.jobsTable, Key: { pk: "x" } })))).toEqual({
      name: "InvalidSignatureException",
      status: 403,
    });
    expect(await errorOf(wrong.sqs.send(new GetQueueUrlCommand({ QueueName: LOCAL_RESOURCES.deadLetterQueue })))).toEqual({
      name: "InvalidSignatureException",
      status: 403,
    });
    expect(await errorOf(wrong.s3.send(new PutObjectCommand({ Bucket: LOCAL_RESOURCES.bucket, Key: "k", Body: "b" })))).toEqual({
      name: "SignatureDoesNotMatch",
      status: 403,
    });
  });

  it("refuses an unknown access key", async () => {
    const stranger = sdkClients(endpoint, { accessKeyId: "AKIASTRANGER", secretAccessKey: "test" });
    expect(await errorOf(stranger.comprehend.send(new DetectSentimentCommand({ Text: "hi there", LanguageCode: "en" })))).toEqual({
      name: "UnrecognizedClientException",
      status: 403,
    });
  });

  it("refuses a request whose body was changed after signing", async () => {
    const client = new AwsClient({ ...endpoint.credentials, region: endpoint.region, service: "comprehend", retries: 0 });
    const signed = await client.sign(`${endpoint.url}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Comprehend_20171127.DetectSentiment" },
      body: JSON.stringify({ Text: "I love this product!", LanguageCode: "en" }),
    });
    const tampered = await fetch(signed.url, {
      method: "POST",
      headers: signed.headers,
      body: JSON.stringify({ Text: "I hate this product!", LanguageCode: "en" }),
    });
    expect(tampered.status).toBeGreaterThanOrEqual(400);
    expect(((await tampered.json()) as { __type: string }).__type).toBe("InvalidSignatureException");
  });

  it("refuses a request signed for another region", async () => {
    const client = new AwsClient({ ...endpoint.credentials, region: "eu-west-1", service: "comprehend", retries: 0 });
    const res = await client.fetch(`${endpoint.url}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Comprehend_20171127.DetectSentiment" },
      body: JSON.stringify({ Text: "fine", LanguageCode: "en" }),
    });
    expect(res.status).toBe(403);
  });

  it("refuses an unsigned request", async () => {
    const res = await fetch(`${endpoint.url}/`, {
      method: "POST",
      headers: { "x-amz-target": "Comprehend_20171127.DetectSentiment" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe("MissingAuthenticationTokenException");
  });
});

describe("admin paths (/_local/*) a web page cannot reach", () => {
  const faultCount = async () => ((await (await fetch(`${endpoint.url}/_local/faults`)).json()) as { faults: unknown[] }).faults.length;

  it("refuse a cross-origin text/plain POST (no preflight needed) and anything carrying Origin or a cross-site Sec-Fetch-Site", async () => {
    const before = await faultCount();
    const fault = JSON.stringify({ operation: "*", kind: "error", status: 500 });
    // What a page's fetch(..., {method: "POST", mode: "no-cors", body}) sends.
    const page = await fetch(`${endpoint.url}/_local/faults`, { method: "POST", headers: { origin: "https://evil.example", "content-type": "text/plain;charset=UTF-8", "sec-fetch-site": "cross-site" }, body: fault });
    expect(page.status).toBe(403);
    const wiped = await fetch(`${endpoint.url}/_local/usage`, { method: "DELETE", headers: { origin: "https://evil.example" } });
    expect(wiped.status).toBe(403);
    const read = await fetch(`${endpoint.url}/_local/comprehend/received`, { headers: { "sec-fetch-site": "cross-site" } });
    expect(read.status).toBe(403);
    // Not from a page, but not JSON either.
    const plain = await fetch(`${endpoint.url}/_local/faults`, { method: "POST", headers: { "content-type": "text/plain" }, body: fault });
    expect(plain.status).toBe(415);
    expect(await faultCount()).toBe(before);
    // The tools' own request: JSON, no Origin.
    const tool = await fetch(`${endpoint.url}/_local/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ operation: "Nothing", kind: "error", count: 1 }) });
    expect(tool.status).toBe(201);
    await fetch(`${endpoint.url}/_local/faults`, { method: "DELETE" });
  });
});
