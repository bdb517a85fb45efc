/**
 * Spend bounded by plan, at the edge. Comprehend units are taken from the key's hourly and daily
 * limits before any work that bills them and settled after it:
 * - real time (UnitBudget): the units of a request's cache misses, taken just before Comprehend is
 *   called (hits cost nothing, so the hot path makes no extra call); what the work did not bill
 *   (a fallback answer, a refused text) is given back;
 * - jobs (JobSpend): the job's estimate (shared/job-units.ts) is taken at submission, with a slot
 *   among its tenant's concurrent jobs; when the job has ended, the estimate is settled to what it
 *   billed and the slot freed. Settling is done by whoever needs it, so no job waits on a timer:
 *   a submission settles its tenant's ended jobs before counting slots, a refused spend settles
 *   the key's before refusing, and /v1/usage before answering.
 * Both are exact under concurrency: the key's (and tenant's) object decides one call at a time.
 */
import type { Context } from "hono";
import type { JobRow } from "../../shared/jobs.ts";
import { planOf, type PlanLimits } from "../../shared/tiers.ts";
import type { Bindings } from "../bindings.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import type { JobSlot, RateLimiter, SpendDecision, UnitLimits } from "./durable-object.ts";
import { rateLimiterOf } from "./middleware.ts";

type LimiterStub = DurableObjectStub<RateLimiter>;

/** A refused spend as the API's error: 429 naming the limit, or 413 when it could never fit. */
export function spendRefusal(decision: SpendDecision, units: number, what: string): ApiError {
  const window = decision.limit === "units_per_day" ? "day" : "hour";
  const limitValue = decision.limitValue ?? 0;
  if (decision.retryAfter === undefined) {
    return new ApiError(
      "PAYLOAD_TOO_LARGE",
      `${what} needs ${units.toLocaleString("en")} Comprehend units, more than this key's plan allows in ${window === "hour" ? "an hour" : "a day"} (${limitValue.toLocaleString("en")}): send less at a time.`,
      { limit: decision.limit },
    );
  }
  return new ApiError(
    "QUOTA_EXCEEDED",
    `This key's limit of ${limitValue.toLocaleString("en")} Comprehend units per ${window} is used up (${(decision.used ?? 0).toLocaleString("en")} counted, ${units.toLocaleString("en")} more needed).`,
    { limit: decision.limit, retryAfter: decision.retryAfter },
  );
}

/** A rate-limiter call that failed: the request cannot be counted, so it is not served (as for permits). */
function limiterUnavailable(): ApiError {
  return new ApiError("SERVICE_UNAVAILABLE", "Usage limits cannot be checked right now; try again shortly.", { retryAfter: 1, upstream: "RateLimiter" });
}

async function limiterCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw limiterUnavailable();
  }
}

/** One request's units: taken before Comprehend is called, settled once the request knows what it billed. */
export class UnitBudget {
  private readonly taken: { minute: number; units: number }[] = [];

  constructor(
    private readonly deps: {
      limiter: () => LimiterStub;
      limits: UnitLimits;
      /** Settles the key's ended jobs (their unbilled estimates come back); true when any was. */
      settleEndedJobs: () => Promise<boolean>;
    },
  ) {}

  /** Takes `units` before the work that bills them, or throws the refusal (429 / 413). */
  async reserve(units: number, what = "This request"): Promise<void> {
    if (units <= 0) return;
    const limiter = this.deps.limiter();
    let decision = await limiterCall(() => limiter.spendUnits(this.deps.limits, units));
    if (!decision.allowed && decision.openJobs > 0 && (await this.deps.settleEndedJobs())) {
      decision = await limiterCall(() => limiter.spendUnits(this.deps.limits, units));
    }
    if (!decision.allowed) throw spendRefusal(decision, units, what);
    this.taken.push({ minute: decision.minute, units });
  }

  get reserved(): number {
    return this.taken.reduce((n, t) => n + t.units, 0);
  }

  /** Gives back what was taken and not billed (newest first); undefined when there is nothing to give back. */
  settle(billed: number): Promise<void> | undefined {
    let unbilled = this.reserved - billed;
    if (unbilled <= 0) return undefined;
    const limiter = this.deps.limiter();
    const refunds: Promise<void>[] = [];
    for (let i = this.taken.length - 1; i >= 0 && unbilled > 0; i--) {
      const { minute, units } = this.taken[i]!;
      const back = Math.min(units, unbilled);
      unbilled -= back;
      refunds.push(limiter.refundUnits(minute, back));
    }
    this.taken.length = 0;
    return Promise.all(refunds).then(() => undefined);
  }
}

/** How long after its admission a job's row may still be missing because its request is still making it (storage has 10 s). */
const ROW_GRACE_MS = 60_000;

/**
 * What an ended job billed, from its row; undefined while it runs. No row once its request is
 * long done: the job was never made (its storage failed after admission), so nothing was billed.
 */
export function unitsBilledBy(job: JobRow | null, estimate: number, admittedAt: number, now = Date.now()): number | undefined {
  if (!job) return now - admittedAt > ROW_GRACE_MS ? 0 : undefined;
  if (job.status === "COMPLETED") return job.summary?.units_billed ?? estimate;
  if (job.status === "FAILED") {
    if (job.summary?.units_billed !== undefined) return job.summary.units_billed;
    // No batch was counted: it failed before analysis (unreadable, over its estimate, never uploaded), so nothing was billed.
    return job.batch_count === undefined ? 0 : estimate;
  }
  return undefined;
}

export interface JobSpendDeps {
  env: Pick<Bindings, "RATE_LIMITER">;
  /** The submitting key's hash (its object) and tenant. */
  keyHash: string;
  tenantId: string;
  limits: PlanLimits;
  /** The job's row, read for the tenant (null when it does not exist). */
  readJob: (jobId: string) => Promise<JobRow | null>;
}

/** A job's spend: admitted at submission (a slot, then its estimate), settled when it has ended. */
export class JobSpend {
  constructor(private readonly deps: JobSpendDeps) {}

  private key(hash = this.deps.keyHash): LimiterStub {
    return rateLimiterOf(this.deps.env as Bindings, hash);
  }

  private tenant(): LimiterStub {
    return rateLimiterOf(this.deps.env as Bindings, `tenant:${this.deps.tenantId}`);
  }

  /**
   * A slot among the tenant's running jobs, then the job's estimated units from the key's
   * limits; each refusal first settles what has ended, and a refused estimate frees the slot.
   */
  async admit(jobId: string, units: number): Promise<void> {
    const { limits } = this.deps;
    const tenant = this.tenant();
    const admit = () => limiterCall(() => tenant.admitJob({ job_id: jobId, key: this.deps.keyHash, units }, limits.concurrent_jobs));
    let slot = await admit();
    if (!slot.allowed && (await this.settleTenantJobs()) > 0) slot = await admit();
    if (!slot.allowed) {
      throw new ApiError(
        "QUOTA_EXCEEDED",
        `This tenant already has ${slot.active} jobs running, the plan's limit: a new one can start when one of them ends.`,
        { limit: "concurrent_jobs", retryAfter: 15 },
      );
    }
    const key = this.key();
    const job = { job_id: jobId, tenant_id: this.deps.tenantId, units };
    try {
      let decision = await limiterCall(() => key.reserveJob(limits, job));
      if (!decision.allowed && decision.openJobs > 0 && (await this.settleKeyJobs()) > 0) decision = await limiterCall(() => key.reserveJob(limits, job));
      if (!decision.allowed) throw spendRefusal(decision, units, "This job");
    } catch (err) {
      await tenant.releaseJob(jobId).catch(() => undefined);
      throw err;
    }
  }

  /** Undoes an admission whose job was not made (or was an earlier job's replay): its units back, its slot free. */
  async cancel(jobId: string): Promise<void> {
    await Promise.allSettled([this.key().settleJob(jobId, 0), this.tenant().releaseJob(jobId)]);
  }

  /** The tenant's jobs not yet ended (as its slots count them). */
  async activeJobs(): Promise<number> {
    return (await limiterCall(() => this.tenant().jobSlots())).length;
  }

  /** Settles this key's jobs that have ended; how many were. */
  async settleKeyJobs(): Promise<number> {
    const { open_jobs } = await limiterCall(() => this.key().spendStatus());
    return this.settle(open_jobs.map((job) => ({ job_id: job.job_id, key: this.deps.keyHash, units: job.units, admitted_at: job.admitted_at })));
  }

  /** Settles the tenant's jobs (of any of its keys) that have ended; how many were. */
  async settleTenantJobs(): Promise<number> {
    const slots = await limiterCall(() => this.tenant().jobSlots());
    return this.settle(slots);
  }

  /**
   * Each ended job: its key's reservation settled to what it billed (once: a second settlement
   * finds nothing), then its tenant slot freed. A job whose row or objects cannot be reached now
   * stays open for the next settlement.
   */
  private async settle(jobs: JobSlot[]): Promise<number> {
    const settled = await Promise.all(
      jobs.map(async ({ job_id, key, units, admitted_at }) => {
        try {
          const billed = unitsBilledBy(await this.deps.readJob(job_id), units, admitted_at);
          if (billed === undefined) return false;
          await this.key(key).settleJob(job_id, billed);
          await this.tenant().releaseJob(job_id);
          return true;
        } catch {
          return false;
        }
      }),
    );
    return settled.filter(Boolean).length;
  }
}

/** The caller's job spend (its key, its tenant, its plan). */
export function jobSpendOf(c: Context<AppEnv>): JobSpend {
  const { hash, record } = c.get("apiKey");
  const jobs = c.get("services").jobs;
  return new JobSpend({ env: c.env, keyHash: hash, tenantId: record.tenant_id, limits: planOf(record), readJob: (jobId) => jobs.find(record.tenant_id, jobId) });
}

/** The request's unit budget: one per request, so what the analysis reserved is what finishAnalysis settles. */
export function unitBudgetOf(c: Context<AppEnv>): UnitBudget {
  let budget = c.get("unitBudget");
  if (!budget) {
    const { hash, record } = c.get("apiKey");
    budget = new UnitBudget({ limiter: () => rateLimiterOf(c.env, hash), limits: planOf(record), settleEndedJobs: async () => (await jobSpendOf(c).settleKeyJobs()) > 0 });
    c.set("unitBudget", budget);
  }
  return budget;
}
