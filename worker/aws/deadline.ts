/** A point in time a whole request must finish by; every AWS attempt and backoff fits inside it. */
export class Deadline {
  readonly at: number;

  constructor(
    budgetMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.at = now() + budgetMs;
  }

  remaining(): number {
    return Math.max(0, this.at - this.now());
  }
}
