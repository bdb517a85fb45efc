/**
 * One Durable Object per API key: an exact sliding-window limit over the last hour, and the
 * key's usage counters for /v1/usage.
 *
 * Accepted requests are counted per second in SQLite. A second's requests stop counting only
 * once the whole second is more than an hour old, so no 60-minute window ever holds more than
 * the limit (capacity comes back at most one second late). The object handles one call at a
 * time and its SQLite calls are synchronous, so the count is exact under any concurrency.
 *
 * `reserve` grants several permits at once, counted in the current second, to be spent in that
 * second by the isolate that asked (worker/rate-limiter/permits.ts); what it did not spend comes
 * back with its next call. Usage counters can ride along on the same call.
 */
import { DurableObject } from "cloudflare:workers";
import { KeyUsage } from "../../shared/schemas.ts";

export const WINDOW_MS = 60 * 60 * 1000;

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the oldest counted request leaves the window, giving capacity back. */
  resetSeconds: number;
}

export type { KeyUsage };

const USAGE_FIELDS = KeyUsage.keyof().options;

export interface Reservation {
  /** Permits granted, all counted in `second` (epoch seconds) and valid until it ends. */
  granted: number;
  second: number;
  limit: number;
  /** What is left in the window after this grant. */
  remaining: number;
  resetSeconds: number;
}

export interface ReserveOptions {
  now?: number;
  /** Permits of an earlier grant that were not spent. */
  release?: { second: number; count: number };
  /** Usage to add to the key's counters. */
  usage?: Partial<KeyUsage>;
}

// It needs no bindings; typing env as `object` keeps it independent of the Worker's Env.
export class RateLimiter extends DurableObject<object> {
  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS hits (second INTEGER PRIMARY KEY, n INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS usage (field TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
  }

  /** Counts one request against `limit` per rolling hour if it is allowed. */
  take(limit: number, now: number = Date.now()): LimitDecision {
    const r = this.reserve(limit, 1, { now });
    return { allowed: r.granted === 1, limit, remaining: r.remaining, resetSeconds: r.resetSeconds };
  }

  /** Grants up to `want` permits for the current second, never past `limit` in the window. */
  reserve(limit: number, want: number, options: ReserveOptions = {}): Reservation {
    const now = options.now ?? Date.now();
    const sql = this.ctx.storage.sql;
    if (options.usage) this.recordUsage(options.usage);
    if (options.release && options.release.count > 0) {
      sql.exec("UPDATE hits SET n = MAX(0, n - ?) WHERE second = ?", options.release.count, options.release.second);
      sql.exec("DELETE FROM hits WHERE n = 0");
    }
    // Seconds whose last millisecond is more than an hour ago no longer count.
    const oldestCounted = Math.floor((now - WINDOW_MS) / 1000);
    sql.exec("DELETE FROM hits WHERE second < ?", oldestCounted);
    const used = sql.exec<{ used: number }>("SELECT COALESCE(SUM(n), 0) AS used FROM hits").one().used;
    const granted = Math.max(0, Math.min(Math.floor(want), limit - used));
    const second = Math.floor(now / 1000);
    if (granted > 0) {
      sql.exec("INSERT INTO hits (second, n) VALUES (?, ?) ON CONFLICT(second) DO UPDATE SET n = n + excluded.n", second, granted);
    }
    const remaining = Math.max(0, limit - used - granted);
    return { granted, second, limit, remaining, resetSeconds: this.secondsUntilFree(now) };
  }

  recordUsage(delta: Partial<KeyUsage>): void {
    for (const field of USAGE_FIELDS) {
      const value = delta[field];
      if (!value) continue;
      this.ctx.storage.sql.exec(
        "INSERT INTO usage (field, value) VALUES (?, ?) ON CONFLICT(field) DO UPDATE SET value = value + excluded.value",
        field,
        value,
      );
    }
  }

  usage(): KeyUsage {
    const result = Object.fromEntries(USAGE_FIELDS.map((field) => [field, 0])) as KeyUsage;
    for (const row of this.ctx.storage.sql.exec<{ field: string; value: number }>("SELECT field, value FROM usage")) {
      if ((USAGE_FIELDS as readonly string[]).includes(row.field)) result[row.field as keyof KeyUsage] = row.value;
    }
    return result;
  }

  /** Proves the object can be reached and its SQLite storage answers (for /health). */
  ping(): { ok: true } {
    this.ctx.storage.sql.exec("SELECT 1").one();
    return { ok: true };
  }

  private secondsUntilFree(now: number): number {
    const oldest = this.ctx.storage.sql.exec<{ second: number | null }>("SELECT MIN(second) AS second FROM hits").one().second;
    if (oldest === null) return 0;
    const freesAt = (oldest + 1) * 1000 + WINDOW_MS;
    return Math.max(1, Math.ceil((freesAt - now) / 1000));
  }
}
