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

/** Where an event SQS would not take is kept for `npm run dlq -- replay`, as long as the queue keeps its messages. */
export const KEPT_DEAD_LETTER_PREFIX = "deadletter:";
const KEPT_TTL_SECONDS = 14 * 24 * 3600;

/** The smallest store a dead letter can be kept in (the Worker's KV binding). */
export interface DeadLetterStore {
  put(key: string, value: string, options: { expirationTtl: number }): Promise<unknown>;
}

export class DeadLetterQueue {
  constructor(
    private readonly sqs: SqsClient,
    private readonly queueUrl: string,
  ) {}

  /**
   * Sends each event; one SQS would not take (after its retries) is kept in `store` instead, so
   * no dead letter is dropped for a fault of the queue. Returns how many were neither sent nor
   * kept (logged by name only).
   */
  async send(events: DeadLetterEvent[], store: DeadLetterStore): Promise<number> {
    const results = await Promise.allSettled(
      events.map(async (e) => {
        const body = JSON.stringify(e);
        try {
          await this.sqs.sendMessage(this.queueUrl, body, new Deadline(SEND_BUDGET_MS));
        } catch (err) {
          console.error(JSON.stringify({ level: "warn", event: "dead_letter_kept", error: err instanceof Error ? err.name : "unknown" }));
          await store.put(`${KEPT_DEAD_LETTER_PREFIX}${e.failed_at}:${e.request_id}:${e.item.index}`, body, { expirationTtl: KEPT_TTL_SECONDS });
        }
      }),
    );
    const lost = results.filter((r) => r.status === "rejected");
    for (const r of lost) {
      const reason = (r as PromiseRejectedResult).reason;
      console.error(JSON.stringify({ level: "error", event: "dead_letter_lost", error: reason instanceof Error ? reason.name : "unknown" }));
    }
    return lost.length;
  }
}
