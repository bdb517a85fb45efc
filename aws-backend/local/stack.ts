/**
 * The whole local AWS side in one call: the endpoint (S3, DynamoDB, SQS, Comprehend) and the
 * batch state machine runner it starts on each upload — what `npm run dev`, `npm run local-aws`
 * and the end-to-end tests run.
 */
import type { BatchDeps } from "../lambdas/deps.ts";
import type { LambdaName } from "../lib/batch-pipeline.ts";
import { localBatchDeps } from "./batch-deps.ts";
import { startLocalAws, type LocalAws, type LocalAwsOptions } from "./server.ts";
import { LocalStepFunctions } from "./step-functions.ts";

export interface LocalStack {
  endpoint: LocalAws;
  stepFunctions: LocalStepFunctions;
}

export async function startLocalStack(
  options: Omit<LocalAwsOptions, "onObjectCreated"> & { retryIntervalMs?: number; log?: (line: string) => void } = {},
): Promise<LocalStack> {
  let stepFunctions: LocalStepFunctions | undefined;
  const endpoint = await startLocalAws({ ...options, onObjectCreated: (event) => stepFunctions?.onObjectCreated(event) });
  const deps = new Map<LambdaName, BatchDeps>();
  stepFunctions = new LocalStepFunctions({
    depsFor: (fn) => deps.get(fn) ?? deps.set(fn, localBatchDeps(endpoint, fn)).get(fn)!,
    endpoint,
    retryIntervalMs: options.retryIntervalMs,
    log: options.log,
  });
  return { endpoint, stepFunctions };
}
