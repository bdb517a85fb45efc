/**
 * Circuit breaker for a dependency: after `failureThreshold` failures in a row it opens and
 * refuses calls for `cooldownMs`; then it lets one trial call through (half-open), which closes
 * it on success or opens it again on failure. It lives in the isolate, so each isolate learns on
 * its own, which is what an edge wants: a failing region does not trip the others.
 */
export type BreakerState = "closed" | "open" | "half-open";

export class CircuitOpenError extends Error {
  override readonly name = "CircuitOpenError";
  constructor(readonly retryAfterSeconds: number) {
    super("circuit open");
  }
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;

  constructor(
    private readonly options: { failureThreshold: number; cooldownMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === null) return "closed";
    return this.now() - this.openedAt >= this.options.cooldownMs ? "half-open" : "open";
  }

  /** Runs `call` unless the breaker refuses it; a refusal throws CircuitOpenError. */
  async run<T>(call: () => Promise<T>, isFailure: (err: unknown) => boolean): Promise<T> {
    const state = this.state;
    if (state === "open" || (state === "half-open" && this.trialInFlight)) {
      throw new CircuitOpenError(this.retryAfterSeconds());
    }
    const trial = state === "half-open";
    if (trial) this.trialInFlight = true;
    try {
      const result = await call();
      this.failures = 0;
      this.openedAt = null;
      return result;
    } catch (err) {
      if (isFailure(err)) {
        this.failures++;
        if (trial || this.failures >= this.options.failureThreshold) this.openedAt = this.now();
      } else if (trial) {
        // The dependency answered (a client error): it is reachable again.
        this.failures = 0;
        this.openedAt = null;
      }
      throw err;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }

  private retryAfterSeconds(): number {
    if (this.openedAt === null) return 1;
    return Math.max(1, Math.ceil((this.openedAt + this.options.cooldownMs - this.now()) / 1000));
  }
}
