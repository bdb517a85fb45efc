/**
 * The stand-in for S3 -> EventBridge -> the rule's target, delivering as AWS does: at least
 * once and later, never in the request that wrote the object. Each event arrives after a random
 * delay, and a configurable share of them arrives twice, from a seeded generator so a test's
 * run can be repeated exactly. Given a journal file, events not yet delivered are kept there, so
 * a process that stops before delivering them delivers them when it starts again (EventBridge
 * keeps an accepted event until it is delivered).
 */
import { readStateFile, writeStateFile } from "./state-file.ts";
import { seededRandom } from "../../shared/random.ts";

export interface EventDeliveryOptions {
  /** Delay before an event is delivered (ms), drawn uniformly in [min, max]. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Share of events delivered a second time (0..1), after another delay. */
  duplicateShare?: number;
  seed?: number;
}

/** What `npm run dev` and the benches use: EventBridge's usual sub-second lag, 5% delivered twice. */
export const DEFAULT_EVENT_DELIVERY: Required<EventDeliveryOptions> = { minDelayMs: 50, maxDelayMs: 500, duplicateShare: 0.05, seed: 1 };

export class LocalEventBus<E> {
  private readonly options: Required<EventDeliveryOptions>;
  private readonly random: () => number;
  private readonly pending = new Set<Promise<void>>();
  /** Events published, and deliveries made (more than published when some came twice). */
  readonly counts = { published: 0, delivered: 0, duplicated: 0 };

  /** Deliveries not yet made, by id (what the journal holds). */
  private readonly undelivered = new Map<number, E>();
  private nextId = 0;

  constructor(
    private readonly deliver: (event: E) => void,
    options: EventDeliveryOptions = {},
    private readonly journalFile?: string,
  ) {
    this.options = { ...DEFAULT_EVENT_DELIVERY, ...options };
    this.random = seededRandom(this.options.seed);
    for (const event of (journalFile && readStateFile<E[]>(journalFile)) || []) this.schedule(event);
  }

  private saveJournal(): void {
    if (this.journalFile) writeStateFile(this.journalFile, [...this.undelivered.values()]);
  }

  publish(event: E): void {
    this.counts.published++;
    this.schedule(event);
    if (this.random() < this.options.duplicateShare) {
      this.counts.duplicated++;
      this.schedule(event);
    }
  }

  /** Resolves when no delivery is waiting. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private schedule(event: E): void {
    const { minDelayMs, maxDelayMs } = this.options;
    const delay = minDelayMs + this.random() * (maxDelayMs - minDelayMs);
    const id = this.nextId++;
    this.undelivered.set(id, event);
    this.saveJournal();
    const delivery: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => {
      this.counts.delivered++;
      this.deliver(event);
      this.undelivered.delete(id);
      this.saveJournal();
    });
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
  }
}
