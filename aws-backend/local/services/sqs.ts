/**
 * SQS's JSON protocol (AmazonSQS.*), in memory (and, given a state file, kept there after every
 * change, so queues and messages outlive a restart): queues, delays, visibility timeouts, long
 * polling, and the MD5 digests the SDK checks on every send and receive. Parameters are held to
 * SQS's own bounds with its error codes (MaxNumberOfMessages 1-10, VisibilityTimeout 0-43,200,
 * WaitTimeSeconds 0-20, DelaySeconds 0-900, batches of 1-10 entries with distinct valid ids,
 * message bodies of allowed characters, receipt handles this queue issued).
 */
import { createHash, randomUUID } from "node:crypto";
import { readStateFile, writeStateFile } from "../state-file.ts";
import { AwsError } from "../protocol.ts";

type Body = Record<string, unknown>;

interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

interface Message {
  id: string;
  body: string;
  attributes: Record<string, MessageAttribute>;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receiptHandle?: string;
}

interface Queue {
  name: string;
  createdAt: number;
  attributes: Record<string, string>;
  messages: Message[];
}

export const ACCOUNT_ID = "000000000000";
const READ_ONLY = new Set(["GetQueueUrl", "ListQueues", "GetQueueAttributes"]);
const MAX_BODY_BYTES = 256 * 1024;
const MAX_BATCH_ENTRIES = 10;
/** The characters SQS accepts in a message (its SendMessage reference): #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. */
const INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export class SqsService {
  private queues = new Map<string, Queue>();

  constructor(
    private readonly endpointUrl: () => string,
    private readonly region: string,
    private readonly stateFile?: string,
  ) {
    for (const queue of (stateFile && readStateFile<Queue[]>(stateFile)) || []) this.queues.set(queue.name, queue);
  }

  private save(): void {
    if (this.stateFile) writeStateFile(this.stateFile, [...this.queues.values()]);
  }

  createQueue(name: string, attributes: Record<string, string> = {}): string {
    if (!/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(name)) {
      throw new AwsError(400, "InvalidParameterValue", "Queue name can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
    }
    if (!this.queues.has(name)) {
      this.queues.set(name, {
        name,
        createdAt: Date.now(),
        attributes: { VisibilityTimeout: "30", MessageRetentionPeriod: "345600", DelaySeconds: "0", ...attributes },
        messages: [],
      });
      this.save();
    }
    return this.urlOf(name);
  }

  async handle(operation: string, body: Body): Promise<unknown> {
    const answer = await this.operate(operation, body);
    if (!READ_ONLY.has(operation)) this.save();
    return answer;
  }

  private async operate(operation: string, body: Body): Promise<unknown> {
    switch (operation) {
      case "CreateQueue":
        return { QueueUrl: this.createQueue(str(body.QueueName, "QueueName"), (body.Attributes ?? {}) as Record<string, string>) };
      case "GetQueueUrl":
        return { QueueUrl: this.urlOf(this.queue(this.urlOf(str(body.QueueName, "QueueName"))).name) };
      case "ListQueues": {
        const prefix = typeof body.QueueNamePrefix === "string" ? body.QueueNamePrefix : "";
        return { QueueUrls: [...this.queues.keys()].filter((n) => n.startsWith(prefix)).map((n) => this.urlOf(n)) };
      }
      case "DeleteQueue":
        this.queues.delete(this.queue(body.QueueUrl).name);
        return {};
      case "PurgeQueue":
        this.queue(body.QueueUrl).messages = [];
        return {};
      case "SendMessage":
        return this.send(this.queue(body.QueueUrl), body);
      case "SendMessageBatch": {
        const queue = this.queue(body.QueueUrl);
        const entries = batchEntries(body.Entries);
        return {
          Successful: entries.map((e) => ({ Id: e.Id, ...this.send(queue, e) })),
          Failed: [],
        };
      }
      case "DeleteMessageBatch": {
        const queue = this.queue(body.QueueUrl);
        const Successful: { Id: unknown }[] = [];
        const Failed: { Id: unknown; SenderFault: boolean; Code: string; Message: string }[] = [];
        for (const e of batchEntries(body.Entries)) {
          if (this.deleteMessage(queue, e.ReceiptHandle)) Successful.push({ Id: e.Id });
          else Failed.push({ Id: e.Id, SenderFault: true, Code: "ReceiptHandleIsInvalid", Message: "The receipt handle is not valid" });
        }
        return { Successful, Failed };
      }
      case "ReceiveMessage":
        return this.receive(this.queue(body.QueueUrl), body);
      case "DeleteMessage": {
        const queue = this.queue(body.QueueUrl);
        if (!this.deleteMessage(queue, str(body.ReceiptHandle, "ReceiptHandle"))) {
          throw new AwsError(400, "ReceiptHandleIsInvalid", `The input receipt handle "${String(body.ReceiptHandle).slice(0, 64)}" is not a valid receipt handle.`);
        }
        return {};
      }
      case "ChangeMessageVisibility": {
        const queue = this.queue(body.QueueUrl);
        const timeout = bounded(body.VisibilityTimeout, "VisibilityTimeout", 0, 43_200, undefined, true);
        const message = queue.messages.find((m) => m.receiptHandle === body.ReceiptHandle);
        if (!message) throw new AwsError(400, "ReceiptHandleIsInvalid", "The receipt handle is not valid");
        message.visibleAt = Date.now() + timeout * 1000;
        return {};
      }
      case "GetQueueAttributes":
        return { Attributes: this.attributesOf(this.queue(body.QueueUrl), body.AttributeNames) };
      default:
        throw new AwsError(400, "UnsupportedOperation", `Operation ${operation} is not supported by the local endpoint`);
    }
  }

  /** Whether a message with this receipt handle (one this queue issued, still there) was deleted. */
  private deleteMessage(queue: Queue, handle: unknown): boolean {
    const before = queue.messages.length;
    queue.messages = queue.messages.filter((m) => m.receiptHandle === undefined || m.receiptHandle !== handle);
    return queue.messages.length < before;
  }

  private send(queue: Queue, body: Body) {
    const text = str(body.MessageBody, "MessageBody");
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
      throw new AwsError(400, "InvalidParameterValue", `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_BODY_BYTES} bytes.`);
    }
    if (INVALID_CHARACTER.test(text)) {
      throw new AwsError(400, "InvalidMessageContents", "Invalid binary character in the message body. Only #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF are allowed.");
    }
    const delay = bounded(body.DelaySeconds, "DelaySeconds", 0, 900, Number(queue.attributes.DelaySeconds ?? 0));
    const attributes = (body.MessageAttributes ?? {}) as Record<string, MessageAttribute>;
    const now = Date.now();
    const message: Message = { id: randomUUID(), body: text, attributes, sentAt: now, visibleAt: now + delay * 1000, receiveCount: 0 };
    queue.messages.push(message);
    return {
      MessageId: message.id,
      MD5OfMessageBody: md5(text),
      ...(Object.keys(attributes).length ? { MD5OfMessageAttributes: md5OfAttributes(attributes) } : {}),
    };
  }

  private async receive(queue: Queue, body: Body) {
    const max = bounded(body.MaxNumberOfMessages, "MaxNumberOfMessages", 1, 10, 1);
    const visibility = bounded(body.VisibilityTimeout, "VisibilityTimeout", 0, 43_200, Number(queue.attributes.VisibilityTimeout));
    const waitUntil = Date.now() + bounded(body.WaitTimeSeconds, "WaitTimeSeconds", 0, 20, 0) * 1000;
    const wantedAttributes = new Set([
      ...((body.AttributeNames as string[] | undefined) ?? []),
      ...((body.MessageSystemAttributeNames as string[] | undefined) ?? []),
    ]);
    const wantedMessageAttributes = new Set((body.MessageAttributeNames as string[] | undefined) ?? []);
    for (;;) {
      const now = Date.now();
      const visible = queue.messages.filter((m) => m.visibleAt <= now).slice(0, max);
      if (visible.length > 0 || now >= waitUntil) {
        return {
          Messages: visible.map((m) => {
            m.receiveCount++;
            m.visibleAt = now + visibility * 1000;
            m.receiptHandle = randomUUID();
            const attrs = pick(m.attributes, wantedMessageAttributes);
            return {
              MessageId: m.id,
              ReceiptHandle: m.receiptHandle,
              MD5OfBody: md5(m.body),
              Body: m.body,
              ...(wantedAttributes.size
                ? {
                    Attributes: pick(
                      {
                        SentTimestamp: String(m.sentAt),
                        ApproximateReceiveCount: String(m.receiveCount),
                        ApproximateFirstReceiveTimestamp: String(now),
                      },
                      wantedAttributes,
                    ),
                  }
                : {}),
              ...(Object.keys(attrs).length ? { MessageAttributes: attrs, MD5OfMessageAttributes: md5OfAttributes(attrs) } : {}),
            };
          }),
        };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private attributesOf(queue: Queue, names: unknown): Record<string, string> {
    const now = Date.now();
    const all: Record<string, string> = {
      ...queue.attributes,
      QueueArn: `arn:aws:sqs:${this.region}:${ACCOUNT_ID}:${queue.name}`,
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      ApproximateNumberOfMessages: String(queue.messages.filter((m) => m.visibleAt <= now).length),
      ApproximateNumberOfMessagesNotVisible: String(queue.messages.filter((m) => m.visibleAt > now && m.receiveCount > 0).length),
      ApproximateNumberOfMessagesDelayed: String(queue.messages.filter((m) => m.visibleAt > now && m.receiveCount === 0).length),
    };
    return pick(all, new Set((names as string[] | undefined) ?? ["All"]));
  }

  private queue(url: unknown): Queue {
    const name = typeof url === "string" ? url.split("/").pop() : undefined;
    const queue = name ? this.queues.get(name) : undefined;
    if (!queue) throw new AwsError(400, "QueueDoesNotExist", "The specified queue does not exist.");
    return queue;
  }

  private urlOf(name: string): string {
    return `${this.endpointUrl()}/${ACCOUNT_ID}/${name}`;
  }
}

function str(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new AwsError(400, "MissingParameter", `The request must contain the parameter ${field}.`);
  }
  return value;
}

/** An integer parameter within SQS's bounds (InvalidParameterValue otherwise), or the fallback when absent. */
function bounded(value: unknown, name: string, min: number, max: number, fallback: number | undefined, required = false): number {
  if (value === undefined || value === null) {
    if (required || fallback === undefined) throw new AwsError(400, "MissingParameter", `The request must contain the parameter ${name}.`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AwsError(400, "InvalidParameterValue", `Value ${String(value).slice(0, 20)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`);
  }
  return n;
}

/** A batch's entries: 1-10 of them, ids of letters, digits, hyphens and underscores (up to 80), all distinct. */
function batchEntries(value: unknown): Body[] {
  const entries = Array.isArray(value) ? (value as Body[]) : [];
  if (entries.length === 0) throw new AwsError(400, "EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.");
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw new AwsError(400, "TooManyEntriesInBatchRequest", `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`);
  }
  const ids = new Set<string>();
  for (const e of entries) {
    const id = e.Id;
    if (typeof id !== "string" || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
      throw new AwsError(400, "InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.");
    }
    if (ids.has(id)) throw new AwsError(400, "BatchEntryIdsNotDistinct", `Id ${id} repeated.`);
    ids.add(id);
  }
  return entries;
}

function pick<T>(source: Record<string, T>, names: Set<string>): Record<string, T> {
  if (names.has("All") || names.has(".*")) return { ...source };
  return Object.fromEntries(Object.entries(source).filter(([k]) => names.has(k)));
}

function md5(s: string | Buffer): string {
  return createHash("md5").update(s).digest("hex");
}

/** SQS's digest of message attributes: names sorted, each field length-prefixed (big-endian u32). */
function md5OfAttributes(attributes: Record<string, MessageAttribute>): string {
  const parts: Buffer[] = [];
  const field = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  };
  for (const name of Object.keys(attributes).sort()) {
    const a = attributes[name]!;
    field(Buffer.from(name, "utf8"));
    field(Buffer.from(a.DataType, "utf8"));
    if (a.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      field(Buffer.from(a.BinaryValue, "base64"));
    } else {
      parts.push(Buffer.from([1]));
      field(Buffer.from(a.StringValue ?? "", "utf8"));
    }
  }
  return md5(Buffer.concat(parts));
}
