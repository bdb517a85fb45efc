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
 *
 * Spend: Comprehend units are counted per minute, against an hourly and a daily limit, taken
 * before the work (`spendUnits`) and given back in the same minute when the work cost less
 * (`refundUnits`); a minute stops counting once the whole minute is older than the window. A
 * job's estimate is taken the same way and remembered (`reserveJob`) until the job ends and is
 * settled to what it billed (`settleJob`, once: a second settlement finds nothing).
 *
 * The same class, named `tenant:<id>`, keeps a tenant's job slots (`admitJob`, `releaseJob`):
 * its jobs not yet ended, against the plan's concurrent-jobs limit.
 */
import { DurableObject } from "cloudflare:workers";
import { KeyUsage } from "../../shared/schemas.ts";
import type { PlanLimits, SpendLimit } from "../../shared/tiers.ts";

export const WINDOW_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * WINDOW_MS;
const MINUTE_MS = 60_000;

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

export type UnitLimits = Pick<PlanLimits, "units_per_hour" | "units_per_day">;

/** A spend taken (`minute`) or refused (`limit`, with what it counts now and when room comes back). */
export interface SpendDecision {
  allowed: boolean;
  minute: number;
  /** Jobs of this key not yet settled: settling them may give units back. */
  openJobs: number;
  limit?: Exclude<SpendLimit, "concurrent_jobs">;
  limitValue?: number;
  /** Units counted in that window now. */
  used?: number;
  /** Seconds until enough of the window has rolled by; absent when the request is larger than the limit itself. */
  retryAfter?: number;
}

export type OpenJob = {
  job_id: string;
  tenant_id: string;
  units: number;
  /** Epoch ms of the admission. */
  admitted_at: number;
};

export interface SpendStatus {
  units_last_hour: number;
  units_last_day: number;
  units_reserved_for_jobs: number;
  open_jobs: OpenJob[];
}

export type JobSlot = {
  job_id: string;
  /** The hash of the key the job was submitted with (its object holds the job's units). */
  key: string;
  units: number;
  admitted_at: number;
};

export type AdmitDecision = { allowed: boolean; active: number; limit: number };

// It needs no bindings; typing env as `object` keeps it independent of the Worker's Env.
export class RateLimiter extends DurableObject<object> {
  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS hits (second INTEGER PRIMARY KEY, n INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS usage (field TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS units (minute INTEGER PRIMARY KEY, n INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, minute INTEGER NOT NULL, units INTEGER NOT NULL, admitted_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS slots (job_id TEXT PRIMARY KEY, key TEXT NOT NULL, units INTEGER NOT NULL, admitted_at INTEGER NOT NULL);
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

  /** Takes `units` from the hourly and daily windows if both have room; otherwise nothing, and which limit refused. */
  spendUnits(limits: UnitLimits, units: number, now: number = Date.now()): SpendDecision {
    const sql = this.ctx.storage.sql;
    const minute = Math.floor(now / MINUTE_MS);
    sql.exec("DELETE FROM units WHERE minute < ?", Math.floor((now - DAY_MS) / MINUTE_MS));
    const openJobs = this.openJobCount();
    for (const [limit, windowMs] of [["units_per_hour", WINDOW_MS], ["units_per_day", DAY_MS]] as const) {
      const limitValue = limits[limit];
      const used = this.unitsSince(now - windowMs);
      if (used + units <= limitValue) continue;
      return { allowed: false, minute, limit, limitValue, used, openJobs, ...(units <= limitValue ? { retryAfter: this.secondsUntilRoom(now, windowMs, used + units - limitValue) } : {}) };
    }
    this.countUnits(minute, units);
    return { allowed: true, minute, openJobs };
  }

  /** Gives back units taken in `minute` that the work did not cost. */
  refundUnits(minute: number, units: number): void {
    if (units <= 0) return;
    this.ctx.storage.sql.exec("UPDATE units SET n = MAX(0, n - ?) WHERE minute = ?", Math.floor(units), minute);
  }

  /** Takes a job's estimate as `spendUnits` does and remembers it until the job is settled (a job held already is not taken twice). */
  reserveJob(limits: UnitLimits, job: Omit<OpenJob, "admitted_at">, now: number = Date.now()): SpendDecision {
    const sql = this.ctx.storage.sql;
    const held = sql.exec<{ minute: number }>("SELECT minute FROM jobs WHERE job_id = ?", job.job_id).toArray()[0];
    if (held) return { allowed: true, minute: held.minute, openJobs: this.openJobCount() };
    const decision = this.spendUnits(limits, job.units, now);
    if (decision.allowed) {
      sql.exec("INSERT INTO jobs (job_id, tenant_id, minute, units, admitted_at) VALUES (?, ?, ?, ?, ?)", job.job_id, job.tenant_id, decision.minute, job.units, now);
    }
    return decision;
  }

  /**
   * A job's reservation ends: the estimate it did not bill comes back (into its minute), what
   * it billed past the estimate is counted now, and its units join the key's usage. A job
   * settled already (or never reserved) changes nothing. `billed: 0` cancels a reservation.
   */
  settleJob(jobId: string, billed: number, now: number = Date.now()): boolean {
    const sql = this.ctx.storage.sql;
    const job = sql.exec<{ minute: number; units: number }>("SELECT minute, units FROM jobs WHERE job_id = ?", jobId).toArray()[0];
    if (!job) return false;
    sql.exec("DELETE FROM jobs WHERE job_id = ?", jobId);
    if (billed < job.units) this.refundUnits(job.minute, job.units - billed);
    else this.countUnits(Math.floor(now / MINUTE_MS), billed - job.units);
    if (billed > 0) this.recordUsage({ comprehend_units: billed, job_units: billed });
    return true;
  }

  /** What the key has spent in each window and holds for jobs not yet settled. */
  spendStatus(now: number = Date.now()): SpendStatus {
    const open_jobs = this.ctx.storage.sql.exec<OpenJob>("SELECT job_id, tenant_id, units, admitted_at FROM jobs ORDER BY admitted_at").toArray();
    return {
      units_last_hour: this.unitsSince(now - WINDOW_MS),
      units_last_day: this.unitsSince(now - DAY_MS),
      units_reserved_for_jobs: open_jobs.reduce((n, j) => n + j.units, 0),
      open_jobs,
    };
  }

  /** A tenant's object: one more job if fewer than `limit` are open (the same job again is not counted twice). */
  admitJob(slot: Omit<JobSlot, "admitted_at">, limit: number, now: number = Date.now()): AdmitDecision {
    const sql = this.ctx.storage.sql;
    const active = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM slots WHERE job_id != ?", slot.job_id).one().n;
    if (active >= limit) return { allowed: false, active, limit };
    sql.exec("INSERT OR IGNORE INTO slots (job_id, key, units, admitted_at) VALUES (?, ?, ?, ?)", slot.job_id, slot.key, slot.units, now);
    return { allowed: true, active: active + 1, limit };
  }

  releaseJob(jobId: string): void {
    this.ctx.storage.sql.exec("DELETE FROM slots WHERE job_id = ?", jobId);
  }

  /** A tenant's object: its open jobs, and the key (hash) each was submitted with. */
  jobSlots(): JobSlot[] {
    return this.ctx.storage.sql.exec<JobSlot>("SELECT job_id, key, units, admitted_at FROM slots ORDER BY admitted_at").toArray();
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

  private countUnits(minute: number, units: number): void {
    if (units <= 0) return;
    this.ctx.storage.sql.exec("INSERT INTO units (minute, n) VALUES (?, ?) ON CONFLICT(minute) DO UPDATE SET n = n + excluded.n", minute, units);
  }

  private openJobCount(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs").one().n;
  }

  private unitsSince(since: number): number {
    // A minute counts while any of it lies inside the window.
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT COALESCE(SUM(n), 0) AS n FROM units WHERE minute >= ?", Math.floor(since / MINUTE_MS)).one().n;
  }

  /** Seconds until the window's oldest minutes leave it and `excess` units with them. */
  private secondsUntilRoom(now: number, windowMs: number, excess: number): number {
    let freed = 0;
    for (const { minute, n } of this.ctx.storage.sql.exec<{ minute: number; n: number }>(
      "SELECT minute, n FROM units WHERE minute >= ? ORDER BY minute",
      Math.floor((now - windowMs) / MINUTE_MS),
    )) {
      freed += n;
      if (freed >= excess) return Math.max(1, Math.ceil(((minute + 1) * MINUTE_MS + windowMs - now) / 1000));
    }
    return Math.ceil(windowMs / 1000);
  }

  private secondsUntilFree(now: number): number {
    const oldest = this.ctx.storage.sql.exec<{ second: number | null }>("SELECT MIN(second) AS second FROM hits").one().second;
    if (oldest === null) return 0;
    const freesAt = (oldest + 1) * 1000 + WINDOW_MS;
    return Math.max(1, Math.ceil((freesAt - now) / 1000));
  }
}
