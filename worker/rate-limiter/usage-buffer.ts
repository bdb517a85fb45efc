/**
 * Usage counters waiting to reach a key's Durable Object. They ride on the next permit
 * reservation for the key, or a flush sends them: at most one flush per key is in flight, and
 * whatever arrives meanwhile goes with the next one, so a busy key costs a few calls per second
 * instead of one per request.
 */
import { settlesWithin } from "../../shared/deferred.ts";
import type { KeyUsage } from "./durable-object.ts";

/** A flush still running after this is taken as lost (its request was cancelled): the next one starts afresh. */
const FLUSH_PATIENCE_MS = 5_000;

export class UsageBuffer {
  private readonly pending = new Map<string, Partial<KeyUsage>>();
  private readonly flushing = new Map<string, Promise<void>>();

  add(key: string, delta: Partial<KeyUsage>): void {
    const sum = this.pending.get(key) ?? {};
    for (const [field, value] of Object.entries(delta) as [keyof KeyUsage, number][]) {
      if (value) sum[field] = (sum[field] ?? 0) + value;
    }
    this.pending.set(key, sum);
  }

  /** Removes and returns what is pending for `key`. */
  drain(key: string): Partial<KeyUsage> | undefined {
    const delta = this.pending.get(key);
    this.pending.delete(key);
    return delta;
  }

  /** Sends what is pending for `key` (and anything added while sending). */
  async flush(key: string, send: (delta: Partial<KeyUsage>) => Promise<unknown>): Promise<void> {
    // A running flush drains until nothing is pending, so it also carries what was just added.
    const running = this.flushing.get(key);
    if (running && (await settlesWithin(running, FLUSH_PATIENCE_MS))) return;
    if (!this.pending.has(key)) return;
    let loop!: Promise<void>;
    loop = (async () => {
      try {
        for (let delta = this.drain(key); delta; delta = this.drain(key)) {
          try {
            await send(delta);
          } catch (err) {
            this.add(key, delta); // kept for the next reservation or flush
            throw err;
          }
        }
      } finally {
        if (this.flushing.get(key) === loop) this.flushing.delete(key);
      }
    })();
    this.flushing.set(key, loop);
    return loop;
  }
}
