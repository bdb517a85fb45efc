/// <reference path="./worker/provided-context.d.ts" />
/**
 * Two projects: `backend` runs in Node (local AWS endpoint, engines, Lambdas, CDK);
 * `worker` runs inside workerd with real KV, Durable Objects and Cache, talking to a local AWS
 * endpoint that globalSetup starts on a free port.
 */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";
import { localCredentials } from "../aws-backend/local/resources.ts";

// The SDK warns that Node 20 support ends in 2027; these machines run Node 20 by design.
const quietSdk = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

const root = fileURLToPath(new URL("..", import.meta.url));
const WORKER = localCredentials("worker");

export default defineConfig({
  test: {
    // Request log lines and expected error logs are shown for failing tests only.
    silent: "passed-only",
    projects: [
      {
        root,
        test: {
          name: "backend",
          environment: "node",
          env: quietSdk,
          include: ["test/backend/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        root,
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                AWS_ENDPOINT_URL: inject("awsEndpoint"),
                // The Worker's own IAM user from the stack (the local endpoint enforces its policy).
                AWS_ACCESS_KEY_ID: WORKER.accessKeyId,
                AWS_SECRET_ACCESS_KEY: WORKER.secretAccessKey,
              },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["test/worker/global-setup.ts"],
          setupFiles: ["test/worker/setup.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
