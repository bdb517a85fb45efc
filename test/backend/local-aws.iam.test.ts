/**
 * IAM on the local endpoint, from the stack's own policies: each principal (the Worker's user,
 * each Lambda's role, the state machine's role) may do what its policy allows and nothing else,
 * refused with AWS's own errors, checked with the official SDK clients.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchDetectDominantLanguageCommand, BatchDetectSentimentCommand, DetectDominantLanguageCommand, DetectSentimentCommand, DetectTargetedSentimentCommand } from "@aws-sdk/client-comprehend";
import { DeleteItemCommand, DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { LOCAL_RESOURCES, localCredentials } from "../../aws-backend/local/resources.ts";
import { LAMBDA_NAMES } from "../../aws-backend/lib/batch-pipeline.ts";
import { sdkClients, startLocalAws, type LocalAws } from "./local-aws.ts";

let endpoint: LocalAws;
beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0 });
});
afterAll(() => endpoint.close());

const as = (principal: string) => sdkClients(endpoint, localCredentials(principal));
const refusal = (p: Promise<unknown>) => p.then(() => "allowed", (err: Error & { $metadata?: { httpStatusCode?: number } }) => `${err.name} ${err.$metadata?.httpStatusCode}`);
const queueUrl = () => `${endpoint.url}/000000000000/${LOCAL_RESOURCES.deadLetterQueue}`;
const bucket = LOCAL_RESOURCES.bucket;
const table = LOCAL_RESOURCES.jobsTable;

describe("IAM from the stack's policies", () => {
  it("knows every principal of the stack: the Worker, each Lambda's role, the state machines' roles, Comprehend's data-access role", () => {
    const names = endpoint.authorizer.principals.map((p) => p.name).sort();
    expect(names).toEqual(["admin", "comprehend-data-access", "state-machine", "upload-deadline", "worker", ...LAMBDA_NAMES].sort());
  });

  it("lets the Worker do what its policy allows, and refuses the rest with AWS's errors", async () => {
    const worker = as("worker");
    expect(await refusal(worker.comprehend.send(new DetectSentimentCommand({ Text: "fine", LanguageCode: "en" })))).toBe("allowed");
    expect(await refusal(worker.comprehend.send(new DetectTargetedSentimentCommand({ Text: "The battery is fine", LanguageCode: "en" })))).toBe("allowed");
    // The Worker finds languages itself: the stack no longer lets it ask Comprehend.
    expect(await refusal(worker.comprehend.send(new BatchDetectDominantLanguageCommand({ TextList: ["hello there", "hola amigo"] })))).toBe("AccessDeniedException 400");
    expect(await refusal(worker.comprehend.send(new DetectDominantLanguageCommand({ Text: "hello there" })))).toBe("AccessDeniedException 400");
    expect(await refusal(worker.s3.send(new PutObjectCommand({ Bucket: bucket, Key: "uploads/2026/12/01/job_x/input", Body: "x" })))).toBe("allowed");
    expect(await refusal(worker.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: "{}" })))).toBe("allowed");

    expect(await refusal(worker.s3.send(new PutObjectCommand({ Bucket: bucket, Key: "processed/job_x/results.jsonl", Body: "x" })))).toBe("AccessDenied 403");
    expect(await refusal(worker.s3.send(new GetObjectCommand({ Bucket: bucket, Key: "uploads/2026/12/01/job_x/input" })))).toBe("AccessDenied 403");
    expect(await refusal(worker.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl() })))).toBe("AccessDeniedException 403");
    const dynamo = new DynamoDBClient({ endpoint: endpoint.url, region: endpoint.region, credentials: localCredentials("worker"), maxAttempts: 1 });
    expect(await refusal(dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "job#none" } } })))).toBe("allowed");
    expect(await refusal(dynamo.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: "job#none" } } })))).toBe("AccessDeniedException 400");
  });

  it("names the principal, the action and the resource in the refusal, as AWS does", async () => {
    const err = await as("load-batch").comprehend.send(new DetectSentimentCommand({ Text: "fine", LanguageCode: "en" })).catch((e: Error) => e);
    expect((err as Error).name).toBe("AccessDeniedException");
    expect((err as Error).message).toBe(
      "User: arn:aws:iam::000000000000:role/load-batch is not authorized to perform: comprehend:DetectSentiment on resource: * because no identity-based policy allows the comprehend:DetectSentiment action",
    );
  });

  it("gives each Lambda's role its own prefixes and calls", async () => {
    const key = "processed/job_iam/work/batch-00000.json";
    expect(await refusal(sdkClients(endpoint).s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "{}" })))).toBe("allowed");
    expect(await refusal(as("load-batch").s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })))).toBe("allowed");
    // save-batch is told the batch's language, first document and size: it writes, never reads.
    expect(await refusal(as("save-batch").s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })))).toBe("AccessDenied 403");
    expect(await refusal(as("save-batch").s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "{}" })))).toBe("allowed");
    expect(await refusal(as("load-batch").s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "{}" })))).toBe("AccessDenied 403");
    expect(await refusal(as("prepare").comprehend.send(new BatchDetectDominantLanguageCommand({ TextList: ["hello there"] })))).toBe("AccessDeniedException 400");
    expect(await refusal(as("prepare").comprehend.send(new BatchDetectSentimentCommand({ TextList: ["hello"], LanguageCode: "en" })))).toBe("AccessDeniedException 400");
    expect(await refusal(as("state-machine").comprehend.send(new BatchDetectSentimentCommand({ TextList: ["hello"], LanguageCode: "en" })))).toBe("allowed");
    expect(await refusal(as("mark-failed").s3.send(new PutObjectCommand({ Bucket: bucket, Key: "processed/x", Body: "{}" })))).toBe("AccessDenied 403");
  });

  it("answers a missing key 404 only to a principal that may list the bucket, 403 to others (S3's rule)", async () => {
    const missing = { Bucket: bucket, Key: "processed/job_nothing/results.jsonl" };
    expect(await refusal(sdkClients(endpoint).s3.send(new GetObjectCommand(missing)))).toBe("NoSuchKey 404");
    expect(await refusal(as("aggregate").s3.send(new GetObjectCommand(missing)))).toBe("NoSuchKey 404"); // s3:List* from grantRead
    expect(await refusal(as("worker").s3.send(new GetObjectCommand(missing)))).toBe("AccessDenied 403");
  });

  it("keeps the default credentials (test / test) an administrator", async () => {
    const admin = sdkClients(endpoint);
    expect(await refusal(admin.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl(), WaitTimeSeconds: 0 })))).toBe("allowed");
  });
});
