/// <reference path="./provided-context.d.ts" />
/** Starts the local AWS endpoint (in Node) for the worker tests, which run inside workerd. */
import type { TestProject } from "vitest/node";
import { startLocalAws } from "../../aws-backend/local/server.ts";


export default async function setup(project: TestProject) {
  const endpoint = await startLocalAws({ port: 0 });
  project.provide("awsEndpoint", endpoint.url);
  return async () => endpoint.close();
}
