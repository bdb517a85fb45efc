/// <reference path="./provided-context.d.ts" />
/** Starts the local AWS endpoint (in Node) for the worker tests, which run inside workerd. */
import type { TestProject } from "vitest/node";
import { startLocalStack } from "../../aws-backend/local/stack.ts";


export default async function setup(project: TestProject) {
  // The endpoint and the batch state machine it runs on uploads (retry waits shortened).
  // Comprehend's rates raised for the suite's bursts (test/backend/local-aws.throttling.test.ts uses AWS's).
  const { endpoint } = await startLocalStack({ port: 0, retryIntervalMs: 10, comprehend: { rates: { single: 2_000, batch: 1_000 } } });
  project.provide("awsEndpoint", endpoint.url);
  project.provide("fuzzRuns", Number(process.env.FUZZ_RUNS ?? 1_000));
  project.provide("fuzzSeed", process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED));
  return async () => endpoint.close();
}
