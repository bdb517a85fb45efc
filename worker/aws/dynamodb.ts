/**
 * Amazon DynamoDB, the three calls the Worker may make (GetItem, PutItem, UpdateItem), over the
 * JSON protocol with aws4fetch, and the plain-JSON <-> attribute-value conversion they need.
 */
import type { AwsClient } from "aws4fetch";
import type { Deadline } from "./deadline.ts";
import { callAwsJson, signerFor, type AwsServiceOptions } from "./json-protocol.ts";

type AttributeValue = { S: string } | { N: string } | { BOOL: boolean } | { NULL: true } | { M: Record<string, AttributeValue> } | { L: AttributeValue[] };
export type Item = Record<string, unknown>;

export class DynamoDbClient {
  private readonly aws: AwsClient;

  constructor(private readonly options: AwsServiceOptions) {
    this.aws = signerFor("dynamodb", options);
  }

  async getItem(table: string, key: Item, deadline: Deadline): Promise<Item | null> {
    const out = await this.call<{ Item?: Record<string, AttributeValue> }>("GetItem", { TableName: table, Key: marshal(key), ConsistentRead: true }, deadline);
    return out.Item ? unmarshalItem(out.Item) : null;
  }

  /** Writes the item; with `ifAbsent`, only when no item has its key (else ConditionalCheckFailedException). */
  async putItem(table: string, item: Item, deadline: Deadline, ifAbsent = false): Promise<void> {
    await this.call(
      "PutItem",
      { TableName: table, Item: marshal(item), ...(ifAbsent ? { ConditionExpression: "attribute_not_exists(pk)" } : {}) },
      deadline,
    );
  }

  /** SETs `fields` on an existing item. */
  async setFields(table: string, key: Item, fields: Item, deadline: Deadline): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {};
    const sets = Object.entries(fields).map(([k, v], i) => {
      names[`#f${i}`] = k;
      values[`:v${i}`] = toAttribute(v);
      return `#f${i} = :v${i}`;
    });
    await this.call(
      "UpdateItem",
      { TableName: table, Key: marshal(key), UpdateExpression: `SET ${sets.join(", ")}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values, ConditionExpression: "attribute_exists(pk)" },
      deadline,
    );
  }

  private call<T>(operation: string, body: unknown, deadline: Deadline): Promise<T> {
    return callAwsJson<T>(
      this.aws,
      { endpoint: this.options.endpoint, target: `DynamoDB_20120810.${operation}`, contentType: "application/x-amz-json-1.0", body },
      deadline,
      this.options.retry,
    );
  }
}

export function marshal(item: Item): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toAttribute(v)]));
}

function toAttribute(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttribute) };
  if (typeof value === "object") return { M: marshal(value as Item) };
  throw new TypeError(`cannot store a ${typeof value}`);
}

export function unmarshalItem(item: Record<string, AttributeValue>): Item {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, fromAttribute(v)]));
}

function fromAttribute(value: AttributeValue): unknown {
  if ("S" in value) return value.S;
  if ("N" in value) return Number(value.N);
  if ("BOOL" in value) return value.BOOL;
  if ("NULL" in value) return null;
  if ("L" in value) return value.L.map(fromAttribute);
  if ("M" in value) return unmarshalItem(value.M);
  return undefined;
}
