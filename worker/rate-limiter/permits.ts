/**
 * The isolate's side of the per-key rate limit. Asking the key's Durable Object for every
 * request would cost a round trip each; instead the isolate reserves a few permits at a time
 * for the current second and spends them locally.
 *
 * Exactness is kept: permits are counted by the object when granted, in the second they are
 * spent; unspent ones are handed back on the key's next reservation. Near the limit the
 * isolate asks for one permit at a time, and a refusal is remembered until the second ends.
 */
import { settlesWithin } from "../../shared/deferred.ts";
import type { KeyUsage, LimitDecision, RateLimiter, Reservation } from "./durable-object.ts";
import type { UsageBuffer } from "./usage-buffer.ts";

/** Most permits an isolate holds for one key at a time. */
const MAX_LEASE = 32;
/** How long a request waits on a reservation another request is making before making its own (a call to the object takes milliseconds). */
const SHARED_RESERVATION_WAIT_MS = 1_000;
/** Below this many remaining (times the lease), one permit at a time: no permit sits idle near the limit. */
const NEAR_LIMIT_FACTOR = 4;

interface KeyPermits {
  second: number;
  granted: number;
  spent: number;
  /** The object's count of what is left, as of the last reservation. */
  remaining: number;
  resetSeconds: number;
  refusedSecond: number;
  /** Requests of this key in the isolate still waiting for a permit: how many to reserve. */
  waiting: number;
  reserving: Promise<void> | null;
  settling: boolean;
  /** Permits spent in `rateSecond` and in the second before it: the key's recent pace. */
  rateSecond: number;
  spentInRateSecond: number;
  spentInPreviousSecond: number;
}

/** Keys an isolate keeps permits for; beyond this, idle ones are forgotten. */
const MAX_KEYS = 10_000;

export interface RateLimiterStub {
  reserve(
    limit: number,
    want: number,
    options: { now?: number; release?: { second: number; count: number }; usage?: Partial<KeyUsage> },
  ): Promise<Reservation>;
}

export class PermitPool {
  private readonly keys = new Map<string, KeyPermits>();

  constructor(
    private readonly usage: UsageBuffer,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One permit for a request of `key` (the key's hash), under `limit` per rolling hour;
   * `stub` gives the key's Durable Object.
   * `waitUntil` carries the hand-back of permits left unspent when their second ends.
   */
  async acquire(
    key: string,
    limit: number,
    stub: () => RateLimiterStub | DurableObjectStub<RateLimiter>,
    waitUntil: (work: Promise<unknown>) => void,
  ): Promise<LimitDecision> {
    // A stub is made only when the object must be called (most requests spend a held permit).
    let made: RateLimiterStub | undefined;
    const limiter: RateLimiterStub = { reserve: (...args) => (made ??= stub() as RateLimiterStub).reserve(...args) };
    const permits = this.permitsOf(key);
    permits.waiting++;
    try {
      return await this.acquireFor(key, permits, limit, limiter, waitUntil);
    } finally {
      permits.waiting--;
    }
  }

  private async acquireFor(
    key: string,
    permits: KeyPermits,
    limit: number,
    limiter: RateLimiterStub,
    waitUntil: (work: Promise<unknown>) => void,
  ): Promise<LimitDecision> {
    for (;;) {
      const second = Math.floor(this.now() / 1000);
      if (permits.second === second && permits.spent < permits.granted) {
        permits.spent++;
        this.countPace(permits, second);
        if (permits.spent < permits.granted) this.settleAfterSecond(key, permits, limit, limiter, waitUntil);
        return { allowed: true, limit, remaining: permits.remaining + permits.granted - permits.spent, resetSeconds: permits.resetSeconds };
      }
      if (permits.refusedSecond === second) return { allowed: false, limit, remaining: 0, resetSeconds: permits.resetSeconds };
      if (permits.reserving) {
        // Usually another request's call to the object: waited for with a timer of this
        // request's own, and given up on (this request then reserves) if it never comes back.
        const shared = permits.reserving;
        if (!(await settlesWithin(shared, SHARED_RESERVATION_WAIT_MS)) && permits.reserving === shared) permits.reserving = null;
        continue;
      }
      // Enough for the requests waiting now, or for a quarter second at last second's pace.
      const pace = permits.rateSecond === second - 1 ? permits.spentInRateSecond : permits.rateSecond === second ? permits.spentInPreviousSecond : 0;
      const demand = Math.min(MAX_LEASE, Math.max(permits.waiting, Math.ceil(pace / 4)));
      const want = permits.remaining < demand * NEAR_LIMIT_FACTOR ? 1 : demand;
      await this.reserve(key, permits, limit, want, limiter);
    }
  }

  /**
   * True while the isolate holds unspent permits of the current second for `key` (or is
   * reserving): a reservation or the end-of-second hand-back will soon carry its usage.
   */
  willReportSoon(key: string): boolean {
    const permits = this.keys.get(key);
    if (!permits) return false;
    return permits.reserving !== null || (permits.settling && permits.spent < permits.granted);
  }

  private countPace(permits: KeyPermits, second: number): void {
    if (permits.rateSecond !== second) {
      permits.spentInPreviousSecond = permits.rateSecond === second - 1 ? permits.spentInRateSecond : 0;
      permits.rateSecond = second;
      permits.spentInRateSecond = 0;
    }
    permits.spentInRateSecond++;
  }

  /** Hands back what is still unspent once its second is over (one timer per key at a time). */
  private settleAfterSecond(key: string, permits: KeyPermits, limit: number, limiter: RateLimiterStub, waitUntil: (work: Promise<unknown>) => void): void {
    if (permits.settling) return;
    permits.settling = true;
    const second = permits.second;
    const delay = Math.max(0, (second + 1) * 1000 - this.now() + 5);
    waitUntil(
      new Promise((resolve) => setTimeout(resolve, delay)).then(async () => {
        permits.settling = false;
        if (permits.second !== second || permits.reserving || permits.spent >= permits.granted) return;
        await this.reserve(key, permits, limit, 0, limiter);
      }),
    );
  }

  private reserve(key: string, permits: KeyPermits, limit: number, want: number, limiter: RateLimiterStub): Promise<void> {
    const reserving: Promise<void> = this.reserveNow(key, permits, limit, want, limiter).finally(() => {
      if (permits.reserving === reserving) permits.reserving = null;
    });
    permits.reserving = reserving;
    return reserving;
  }

  private async reserveNow(key: string, permits: KeyPermits, limit: number, want: number, limiter: RateLimiterStub): Promise<void> {
    const unspent = permits.granted - permits.spent;
    const release = unspent > 0 ? { second: permits.second, count: unspent } : undefined;
    const usage = this.usage.drain(key);
    let reservation: Reservation;
    try {
      // The isolate's clock decides the second, so grant and spending agree on it.
      reservation = await limiter.reserve(limit, want, { now: this.now(), release, usage });
    } catch (err) {
      if (usage) this.usage.add(key, usage);
      throw err;
    }
    // The old grant is settled (spent or released) either way.
    Object.assign(permits, {
      second: reservation.second,
      granted: reservation.granted,
      spent: 0,
      remaining: reservation.remaining,
      resetSeconds: reservation.resetSeconds,
    });
    if (want > 0 && reservation.granted === 0) permits.refusedSecond = reservation.second;
  }

  private permitsOf(key: string): KeyPermits {
    let permits = this.keys.get(key);
    if (!permits) {
      permits = {
        second: -1,
        granted: 0,
        spent: 0,
        remaining: Number.POSITIVE_INFINITY,
        resetSeconds: 0,
        refusedSecond: -1,
        waiting: 0,
        reserving: null,
        settling: false,
        rateSecond: -1,
        spentInRateSecond: 0,
        spentInPreviousSecond: 0,
      };
      this.keys.set(key, permits);
      if (this.keys.size > MAX_KEYS) this.forgetIdle();
    }
    return permits;
  }

  private forgetIdle(): void {
    const second = Math.floor(this.now() / 1000);
    for (const [key, p] of this.keys) {
      if (this.keys.size <= MAX_KEYS * 0.9) break;
      if (!p.reserving && !p.settling && (p.second < second || p.spent >= p.granted)) this.keys.delete(key);
    }
  }
}
