/**
 * The local AWS endpoint speaks the real protocols: driven here by the official AWS SDK v3
 * clients (and aws4fetch, which the Worker uses), every answer parsed by the SDK's own
 * deserialisers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  BatchDetectDominantLanguageCommand,
  BatchDetectSentimentCommand,
  BatchSizeLimitExceededException,
  DetectDominantLanguageCommand,
  DetectPiiEntitiesCommand,
  DetectSentimentCommand,
  DetectTargetedSentimentCommand,
  type LanguageCode,
  TextSizeLimitExceededException,
  UnsupportedLanguageException,
} from "@aws-sdk/client-comprehend";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { AwsClient } from "aws4fetch";
import { LOCAL_RESOURCES } from "../../aws-backend/local/resources.ts";
import { sdkClients, startLocalAws, type Clients, type LocalAws } from "./local-aws.ts";

let endpoint: LocalAws;
let aws: Clients;

beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0 });
  aws = sdkClients(endpoint);
});
afterAll(async () => endpoint?.close());
beforeEach(() => {
  endpoint.faults.clear();
  endpoint.usage.reset();
});

const sumOf = (s: Record<string, number | undefined>) => Object.values(s).reduce<number>((a, b) => a + (b ?? 0), 0);

describe("Comprehend protocol, answered by the embedded engine", () => {
  it("DetectSentiment: a clearly positive text is POSITIVE, four scores summing to 1", async () => {
    const out = await aws.comprehend.send(new DetectSentimentCommand({ Text: "I love this product!", LanguageCode: "en" }));
    expect(out.Sentiment).toBe("POSITIVE");
    // Four places, as the API shows scores: the sum is 1 to within the rounding.
    expect(sumOf(out.SentimentScore as Record<string, number>)).toBeCloseTo(1, 3);
    expect(out.SentimentScore!.Positive).toBeGreaterThan(out.SentimentScore!.Negative!);
  });

  it("DetectSentiment: negative, neutral and mixed texts get their labels", async () => {
    const label = async (Text: string) =>
      (await aws.comprehend.send(new DetectSentimentCommand({ Text, LanguageCode: "en" }))).Sentiment;
    expect(await label("This is the worst support I have ever had. Terrible.")).toBe("NEGATIVE");
    expect(await label("The package arrived on Tuesday.")).toBe("NEUTRAL");
    expect(await label("I love the design but the battery is terrible.")).toBe("MIXED");
  });

  it("BatchDetectSentiment answers each document with its index", async () => {
    const texts = ["Great service, thank you!", "Awful, broken on arrival.", "The package arrived on Tuesday."];
    const out = await aws.comprehend.send(new BatchDetectSentimentCommand({ TextList: texts, LanguageCode: "en" }));
    expect(out.ErrorList).toEqual([]);
    expect(out.ResultList!.map((r) => [r.Index, r.Sentiment])).toEqual([
      [0, "POSITIVE"],
      [1, "NEGATIVE"],
      [2, "NEUTRAL"],
    ]);
  });

  it("DetectTargetedSentiment: each target with its sentiment and offsets in Comprehend's shape, English only", async () => {
    const Text = "The battery is awful but the screen is gorgeous.";
    const out = await aws.comprehend.send(new DetectTargetedSentimentCommand({ Text, LanguageCode: "en" }));
    const mentions = out.Entities!.flatMap((e) => e.Mentions!);
    expect(mentions.map((m) => [m.Text, Text.slice(m.BeginOffset, m.EndOffset), m.MentionSentiment!.Sentiment])).toEqual([
      ["The battery", "The battery", "NEGATIVE"],
      ["the screen", "the screen", "POSITIVE"],
    ]);
    expect(out.Entities!.every((e) => e.DescriptiveMentionIndex!.length > 0)).toBe(true);
    expect(endpoint.usage.snapshot().comprehend.units).toBe(3);
    const refused = await aws.comprehend.send(new DetectTargetedSentimentCommand({ Text: "Die Batterie ist schlecht", LanguageCode: "de" })).catch((e: Error) => e);
    expect((refused as Error).name).toBe("UnsupportedLanguageException");
  });

  it("DetectDominantLanguage and its batch form recognise the language", async () => {
    const one = await aws.comprehend.send(new DetectDominantLanguageCommand({ Text: "El servicio fue excelente y muy rápido." }));
    expect(one.Languages![0]!.LanguageCode).toBe("es");
    expect(one.Languages![0]!.Score).toBeGreaterThan(0.5);
    const batch = await aws.comprehend.send(
      new BatchDetectDominantLanguageCommand({ TextList: ["Das Produkt ist sehr gut.", "この製品はとても良いです。"] }),
    );
    expect(batch.ResultList!.map((r) => r.Languages![0]!.LanguageCode)).toEqual(["de", "ja"]);
  });

  it("DetectPiiEntities returns types and offsets", async () => {
    const Text = "Mail me at jane.doe@example.com or call (415) 555-0132.";
    const out = await aws.comprehend.send(new DetectPiiEntitiesCommand({ Text, LanguageCode: "en" }));
    const found = out.Entities!.map((e) => [e.Type, Text.slice(e.BeginOffset, e.EndOffset)]);
    expect(found).toEqual([
      ["EMAIL", "jane.doe@example.com"],
      ["PHONE", "(415) 555-0132"],
    ]);
  });

  it("refuses what Comprehend refuses, with Comprehend's exceptions", async () => {
    const big = "é".repeat(2_501); // 5,002 UTF-8 bytes in 2,501 characters
    await expect(aws.comprehend.send(new DetectSentimentCommand({ Text: big, LanguageCode: "en" }))).rejects.toBeInstanceOf(
      TextSizeLimitExceededException,
    );
    await expect(
      aws.comprehend.send(new BatchDetectSentimentCommand({ TextList: Array(26).fill("ok"), LanguageCode: "en" })),
    ).rejects.toBeInstanceOf(BatchSizeLimitExceededException);
    // A valid code the operation does not take:
    await expect(aws.comprehend.send(new DetectPiiEntitiesCommand({ Text: "bonjour", LanguageCode: "fr" }))).rejects.toBeInstanceOf(
      UnsupportedLanguageException,
    );
  });

  it("answers model violations with ValidationException in AWS's message form", async () => {
    const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => `${e.name}: ${e.message}`);
    expect(await failure(aws.comprehend.send(new DetectSentimentCommand({ Text: "bonjour", LanguageCode: "xx" as LanguageCode })))).toBe(
      "ValidationException: 1 validation error detected: Value 'xx' at 'languageCode' failed to satisfy constraint: Member must satisfy enum value set: [ar, hi, ko, zh-TW, ja, zh, de, pt, en, it, fr, es]",
    );
    expect(await failure(aws.comprehend.send(new DetectSentimentCommand({ Text: "", LanguageCode: "en" })))).toBe(
      "ValidationException: 1 validation error detected: Value at 'text' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    expect(await failure(aws.comprehend.send(new DetectSentimentCommand({ Text: undefined as never, LanguageCode: "pl" as LanguageCode })))).toMatch(
      /^ValidationException: 2 validation errors detected: Value null at 'text' failed to satisfy constraint: Member must not be null; Value 'pl' at 'languageCode'/,
    );
    expect(await failure(aws.comprehend.send(new BatchDetectSentimentCommand({ TextList: ["fine", ""], LanguageCode: "en" })))).toBe(
      "ValidationException: 1 validation error detected: Value at 'textList.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it("refuses a body that is not valid UTF-8 as SerializationException", async () => {
    const client = new AwsClient({ ...endpoint.credentials, region: endpoint.region, service: "comprehend", retries: 0 });
    const body = Buffer.concat([Buffer.from('{"Text":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('","LanguageCode":"en"}')]);
    const res = await client.fetch(endpoint.url, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Comprehend_20171127.DetectSentiment" },
      body,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe("SerializationException");
  });

  it("reports a batch's oversized document in ErrorList and still analyses the others", async () => {
    const big = "é".repeat(2_501);
    const out = await aws.comprehend.send(new BatchDetectSentimentCommand({ TextList: ["I love it", big, "Awful"], LanguageCode: "en" }));
    expect(out.ResultList!.map((r) => [r.Index, r.Sentiment])).toEqual([
      [0, "POSITIVE"],
      [2, "NEGATIVE"],
    ]);
    expect(out.ErrorList).toEqual([{ Index: 1, ErrorCode: "TEXT_SIZE_LIMIT_EXCEEDED", ErrorMessage: "Document size exceeds maximum size limit 5000 bytes" }]);
    const languages = await aws.comprehend.send(new BatchDetectDominantLanguageCommand({ TextList: [big, "hello world"] }));
    expect(languages.ErrorList!.map((e) => e.ErrorCode)).toEqual(["TEXT_SIZE_LIMIT_EXCEEDED"]);
  });

  it("bills 100-character units with a 3-unit minimum, and counts requests per operation", async () => {
    await aws.comprehend.send(new DetectSentimentCommand({ Text: "short", LanguageCode: "en" })); // 3 units
    await aws.comprehend.send(new DetectSentimentCommand({ Text: "a".repeat(450), LanguageCode: "en" })); // 5 units
    await aws.comprehend.send(
      new BatchDetectSentimentCommand({ TextList: ["x".repeat(301), "y"], LanguageCode: "en" }), // 4 + 3 units
    );
    const usage = endpoint.usage.snapshot();
    expect(usage.comprehend).toEqual({ units: 15, documents: 4, characters: 5 + 450 + 301 + 1 });
    expect(usage.requests).toEqual({ "comprehend:DetectSentiment": 2, "comprehend:BatchDetectSentiment": 1 });
  });

  it("remembers what it received, for tests that prove what left the Worker", async () => {
    await aws.comprehend.send(new DetectSentimentCommand({ Text: "remember me", LanguageCode: "en" }));
    const res = await fetch(`${endpoint.url}/_local/comprehend/received`);
    expect((await res.json()) as unknown).toEqual({ texts: [{ text: "remember me", language: "en" }] });
  });

  it("is reached the same way with aws4fetch, as the Worker calls it", async () => {
    const client = new AwsClient({ ...endpoint.credentials, region: endpoint.region, service: "comprehend", retries: 0 });
    const res = await client.fetch(`${endpoint.url}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "Comprehend_20171127.DetectSentiment",
      },
      body: JSON.stringify({ Text: "I love this product!", LanguageCode: "en" }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { Sentiment: string }).Sentiment).toBe("POSITIVE");
  });
});

describe("S3, DynamoDB and SQS with the resources created at start", () => {
  it("S3 stores and returns the exact bytes under a key", async () => {
    const key = "uploads/2026/11/22/job-1/input.csv";
    const body = "id,text\n1,\"great, really\"\n";
    await aws.s3.send(new PutObjectCommand({ Bucket: LOCAL_RESOURCES.bucket, Key: key, Body: body, ContentType: "text/csv" }));
    const got = await aws.s3.send(new GetObjectCommand({ Bucket: LOCAL_RESOURCES.bucket, Key: key }));
    expect(await got.Body!.transformToString()).toBe(body);
    const list = await aws.s3.send(new ListObjectsV2Command({ Bucket: LOCAL_RESOURCES.bucket, Prefix: "uploads/" }));
    expect(list.Contents!.map((o) => o.Key)).toContain(key);
  });

  it("DynamoDB keeps a job row in the jobs table (lib-dynamodb)", async () => {
    await aws.dynamo.send(new PutCommand({ TableName: LOCAL_RESOURCES.jobsTable, Item: { pk: "job#1", status: "PENDING", items: 3 } }));
    const got = await aws.dynamo.send(new GetCommand({ TableName: LOCAL_RESOURCES.jobsTable, Key: { pk: "job#1" } }));
    expect(got.Item).toEqual({ pk: "job#1", status: "PENDING", items: 3 });
  });

  it("SQS delivers, hides a received message for its visibility timeout, then deletes it", async () => {
    const { QueueUrl } = await aws.sqs.send(new GetQueueUrlCommand({ QueueName: LOCAL_RESOURCES.deadLetterQueue }));
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: JSON.stringify({ request_id: "r-1" }),
        MessageAttributes: { kind: { DataType: "String", StringValue: "sync-failure" } },
      }),
    );
    const first = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 1, MessageAttributeNames: ["All"], MaxNumberOfMessages: 10 }),
    );
    expect(first.Messages).toHaveLength(1);
    expect(first.Messages![0]!.MessageAttributes!.kind!.StringValue).toBe("sync-failure");
    const hidden = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(hidden.Messages ?? []).toHaveLength(0);
    const attrs = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
    expect(attrs.Attributes!.ApproximateNumberOfMessagesNotVisible).toBe("1");

    const again = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3 }));
    expect(again.Messages![0]!.Body).toBe(JSON.stringify({ request_id: "r-1" }));
    await aws.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.Messages![0]!.ReceiptHandle }));
    const after = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(after.Attributes).toEqual({ ApproximateNumberOfMessages: "0" });
  });
});
