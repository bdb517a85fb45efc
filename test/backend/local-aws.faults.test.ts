/** Faults injected at run time through the admin path appear to SDK clients as AWS's own errors. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DetectSentimentCommand, InternalServerException } from "@aws-sdk/client-comprehend";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { LOCAL_RESOURCES } from "../../aws-backend/local/resources.ts";
import { sdkClients, startLocalAws, type Clients, type LocalAws } from "./local-aws.ts";

let endpoint: LocalAws;
let aws: Clients;
beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0 });
  aws = sdkClients(endpoint);
});
afterAll(async () => endpoint?.close());
beforeEach(async () => {
  await fetch(`${endpoint.url}/_local/faults`, { method: "DELETE" });
});

const inject = (fault: object) =>
  fetch(`${endpoint.url}/_local/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(fault) }).then((r) => r.status);

const detect = () => aws.comprehend.send(new DetectSentimentCommand({ Text: "I love this product!", LanguageCode: "en" }));

describe("fault injection", () => {
  it("throttles the next N calls of one operation, then serves normally", async () => {
    expect(await inject({ operation: "DetectSentiment", kind: "throttle", count: 2 })).toBe(201);
    for (let i = 0; i < 2; i++) {
      const err = await detect().catch((e: unknown) => e as { name: string; $metadata: { httpStatusCode: number } });
      expect(err).toMatchObject({ name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
    }
    expect((await detect()).Sentiment).toBe("POSITIVE");
  });

  it("fails with a 5xx until cleared when no count is given", async () => {
    await inject({ operation: "comprehend:DetectSentiment", kind: "error", status: 503 });
    await expect(detect()).rejects.toBeInstanceOf(InternalServerException);
    await expect(detect()).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
    await fetch(`${endpoint.url}/_local/faults`, { method: "DELETE" });
    expect((await detect()).Sentiment).toBe("POSITIVE");
  });

  it("adds latency", async () => {
    await inject({ operation: "*", kind: "latency", latencyMs: 300, count: 1 });
    const started = performance.now();
    await detect();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("fails an S3 upload, for the batch path's upload-failure tests", async () => {
    await inject({ operation: "s3:PutObject", kind: "error", count: 1 });
    await expect(
      aws.s3.send(new PutObjectCommand({ Bucket: LOCAL_RESOURCES.bucket, Key: "uploads/x", Body: "x" })),
    ).rejects.toMatchObject({ name: "InternalError", $metadata: { httpStatusCode: 500 } });
    await aws.s3.send(new PutObjectCommand({ Bucket: LOCAL_RESOURCES.bucket, Key: "uploads/x", Body: "x" }));
  });

  it("rejects a malformed fault", async () => {
    expect(await inject({ operation: "DetectSentiment", kind: "explode" })).toBe(400);
  });
});
