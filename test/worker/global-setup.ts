/// <reference path="./provided-context.d.ts" />
/** Starts the local AWS endpoint (in Node) for the worker tests, which run inside workerd. */
import type { TestProject } from "vitest/node";
import { startLocalStack } from "../../aws-backend/local/stack.ts";


export default async function setup(project: TestProject) {
  // The endpoint and the batch state machine it runs on uploads (retry waits shortened).
  const { endpoint } = await startLocalStack({ port: 0, retryIntervalMs: 10 });
  project.provide("awsEndpoint", endpoint.url);
  return async () => endpoint.close();
}
