/** SQS held to its own parameter bounds, with its error codes, through the official SDK client. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { LOCAL_RESOURCES } from "../../aws-backend/local/resources.ts";
import { sdkClients, startLocalAws, type LocalAws } from "./local-aws.ts";

let endpoint: LocalAws;
beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0 });
});
afterAll(() => endpoint.close());

const refused = (p: Promise<unknown>) => p.then(() => "accepted", (e: Error) => e.name);

describe("SQS refuses what AWS refuses", () => {
  it("bounds MaxNumberOfMessages, VisibilityTimeout, WaitTimeSeconds and DelaySeconds", async () => {
    const { sqs } = sdkClients(endpoint);
    const QueueUrl = `${endpoint.url}/000000000000/${LOCAL_RESOURCES.deadLetterQueue}`;
    expect(await refused(sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 0 })))).toBe("InvalidParameterValue");
    expect(await refused(sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 })))).toBe("InvalidParameterValue");
    expect(await refused(sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 43_201 })))).toBe("InvalidParameterValue");
    expect(await refused(sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 21 })))).toBe("InvalidParameterValue");
    expect(await refused(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", DelaySeconds: 901 })))).toBe("InvalidParameterValue");
    expect(await refused(sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 })))).toBe("accepted");
  });

  it("refuses batches of 0 or 11 entries, repeated or malformed ids, and bodies with characters SQS does not carry", async () => {
    const { sqs } = sdkClients(endpoint);
    const QueueUrl = `${endpoint.url}/000000000000/${LOCAL_RESOURCES.deadLetterQueue}`;
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `m${i}`, MessageBody: "x" }));
    expect(await refused(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] })))).toBe("EmptyBatchRequest");
    expect(await refused(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries(11) })))).toBe("TooManyEntriesInBatchRequest");
    expect(await refused(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "a", MessageBody: "x" }, { Id: "a", MessageBody: "y" }] })))).toBe(
      "BatchEntryIdsNotDistinct",
    );
    expect(await refused(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "not ok!", MessageBody: "x" }] })))).toBe("InvalidBatchEntryId");
    expect(await refused(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "bell \u0007" })))).toBe("InvalidMessageContents");
    expect(await refused(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries(10) })))).toBe("accepted");
  });

  it("refuses a receipt handle it never issued", async () => {
    const { sqs } = sdkClients(endpoint);
    const QueueUrl = `${endpoint.url}/000000000000/${LOCAL_RESOURCES.deadLetterQueue}`;
    expect(await refused(sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: "made-up" })))).toBe("ReceiptHandleIsInvalid");
    expect(await refused(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: "made-up", VisibilityTimeout: 5 })))).toBe("ReceiptHandleIsInvalid");
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "real" }));
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    const out = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: "real", ReceiptHandle: Messages[0]!.ReceiptHandle! }, { Id: "fake", ReceiptHandle: "made-up" }] }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(["real"]);
    expect(out.Failed?.map((f) => [f.Id, f.Code])).toEqual([["fake", "ReceiptHandleIsInvalid"]]);
  });
});
