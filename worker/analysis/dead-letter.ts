/**
 * Failed real-time events go to the SQS dead-letter queue, after the response (waitUntil), so
 * a failure never waits on a second AWS call. Events carry redacted text only, and the tenant
 * and cache scope, so a replay fills that tenant's cache and no other.
 */
import { Deadline } from "../aws/deadline.ts";
import type { SqsClient } from "../aws/sqs.ts";
import type { FailedItem } from "./analyzer.ts";

/** 2: the item carries its cache scope (version 1 events predate tenant-scoped caching). */
export const DEAD_LETTER_SCHEMA_VERSION = 2;

export interface DeadLetterEvent {
  version: typeof DEAD_LETTER_SCHEMA_VERSION;
  request_id: string;
  key_id: string;
  tenant_id: string;
  route: string;
  failed_at: string;
  item: FailedItem;
}

const SEND_BUDGET_MS = 5_000;

export class DeadLetterQueue {
  constructor(
    private readonly sqs: SqsClient,
    private readonly queueUrl: string,
  ) {}

  /** Sends each event; returns how many were not sent (already logged by name only). */
  async send(events: DeadLetterEvent[]): Promise<number> {
    const results = await Promise.allSettled(
      events.map((e) => this.sqs.sendMessage(this.queueUrl, JSON.stringify(e), new Deadline(SEND_BUDGET_MS))),
    );
    const lost = results.filter((r) => r.status === "rejected");
    for (const r of lost) {
      const reason = (r as PromiseRejectedResult).reason;
      console.error(JSON.stringify({ level: "error", event: "dead_letter_send_failed", error: reason instanceof Error ? reason.name : "unknown" }));
    }
    return lost.length;
  }
}
