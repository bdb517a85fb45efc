/**
 * The whole local AWS side in one call: the endpoint (S3, DynamoDB, SQS, Comprehend), the event
 * delivery that stands in for S3 -> EventBridge (late, sometimes twice), and the batch state
 * machine runner it starts on each upload — what `npm run dev`, `npm run local-aws`, the benches
 * and the end-to-end tests run.
 */
import { join } from "node:path";
import type { BatchDeps } from "../lambdas/deps.ts";
import { sweepStaleJobs } from "../lambdas/sweep-stale-jobs.ts";
import { SWEEP_INTERVAL, type LambdaName } from "../lib/batch-pipeline.ts";
import { localBatchDeps } from "./batch-deps.ts";
import { LocalEventBus, type EventDeliveryOptions } from "./events.ts";
import type { ExecutionLimitOptions } from "./execution-limits.ts";
import { startLocalAws, type LocalAws, type LocalAwsOptions } from "./server.ts";
import { LocalStepFunctions } from "./step-functions.ts";

export interface LocalStack {
  endpoint: LocalAws;
  stepFunctions: LocalStepFunctions;
  events: LocalEventBus<{ bucket: string; key: string }>;
  /** Resolves when no event is waiting to be delivered and no execution is running. */
  idle(): Promise<void>;
}

export async function startLocalStack(
  options: Omit<LocalAwsOptions, "onObjectCreated"> & {
    retryIntervalMs?: number;
    /** Wait states' pause (ms) instead of the ASL's seconds (tests; dev keeps the real ones). */
    waitMs?: number;
    /** Settings of the batch Lambdas (e.g. asyncMinBytes), over the local defaults. */
    batch?: Partial<Pick<BatchDeps, "asyncMinBytes" | "maxFailedRowShare" | "maxConcurrency" | "sentimentJobQuotas" | "partLimits">>;
    log?: (line: string) => void;
    events?: EventDeliveryOptions;
    limits?: ExecutionLimitOptions;
    /** How often the stale-job sweeper runs (default: the stack's schedule, 15 minutes; 0: never). */
    sweepIntervalMs?: number;
  } = {},
): Promise<LocalStack> {
  let stepFunctions: LocalStepFunctions | undefined;
  // Events kept from a previous process may come due before the runner exists: they wait for it.
  let runnerReady: (runner: LocalStepFunctions) => void = () => {};
  const runnerMade = new Promise<LocalStepFunctions>((resolve) => (runnerReady = resolve));
  const events = new LocalEventBus<{ bucket: string; key: string }>(
    (event) => (stepFunctions ? stepFunctions.onObjectCreated(event) : void runnerMade.then((runner) => runner.onObjectCreated(event))),
    options.events,
    options.dataDir === undefined ? undefined : join(options.dataDir, "events.json"),
  );
  const endpoint = await startLocalAws({
    ...options,
    onObjectCreated: (event) => events.publish(event),
    onStartExecution: (request) => {
      if (!stepFunctions) throw new Error("the runner is not ready");
      return stepFunctions.startExecution(request);
    },
    onDescribeExecution: (request) => {
      if (!stepFunctions) throw new Error("the runner is not ready");
      return stepFunctions.describeExecution(request);
    },
  });
  const deps = new Map<LambdaName, BatchDeps>();
  const depsFor = (fn: LambdaName) => deps.get(fn) ?? deps.set(fn, localBatchDeps(endpoint, fn, options.batch)).get(fn)!;
  stepFunctions = new LocalStepFunctions({
    depsFor,
    endpoint,
    retryIntervalMs: options.retryIntervalMs,
    waitMs: options.waitMs,
    limits: options.limits,
    log: options.log,
    journalFile: options.dataDir === undefined ? undefined : join(options.dataDir, "executions.json"),
  });
  const runner = stepFunctions;
  runnerReady(runner);
  // What a stopped process left in flight is taken up again, not left open.
  runner.resume();
  // The stack's EventBridge schedule: the sweeper, signed as its own role.
  const sweepEvery = options.sweepIntervalMs ?? SWEEP_INTERVAL.toMilliseconds();
  const sweeper = sweepEvery > 0 ? setInterval(() => void sweepStaleJobs(depsFor("sweep-stale-jobs")).catch((err: Error) => options.log?.(`[sweeper] sweep failed: ${err.name}`)), sweepEvery) : undefined;
  sweeper?.unref();
  // Closing the endpoint also stops the executions still waiting on a deadline (their timers).
  const close = endpoint.close.bind(endpoint);
  endpoint.close = async () => {
    clearInterval(sweeper);
    runner.stopWaiting();
    await close();
  };
  return {
    endpoint,
    stepFunctions: runner,
    events,
    async idle() {
      do {
        await events.idle();
        await runner.idle();
      } while (runner.runningCount > 0);
    },
  };
}
