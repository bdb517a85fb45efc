/**
 * `npm run dev`: the local AWS endpoint (127.0.0.1:4566) and the Worker under `wrangler dev`
 * (127.0.0.1:8787), offline; local AWS state kept in .aurastream-local/ (`-- --fresh`: start empty). Ctrl-C or SIGTERM stops both and leaves no process behind:
 * wrangler runs in its own process group, which is signalled as a whole.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startLocalStack } from "../aws-backend/local/stack.ts";
import { rmSync } from "node:fs";
import { localCredentials, localDataDir, localSettingsFromEnv } from "../aws-backend/local/resources.ts";
import { createKey, LOCAL_DEV_KEY, LOCAL_DEV_TENANT } from "../worker/auth/api-keys.ts";
import { WranglerKv } from "./wrangler-kv.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const WORKER_PORT = Number(process.env.WORKER_PORT ?? 8787);
const READY_TIMEOUT_MS = 60_000;
const started = Date.now();

// Jobs, objects and queues outlive a restart; `npm run dev -- --fresh` starts empty (the Worker's KV and Durable Objects too).
const dataDir = localDataDir(root);
if (process.argv.includes("--fresh")) rmSync(`${root}.wrangler/state`, { recursive: true, force: true });
const { endpoint } = await startLocalStack({ ...localSettingsFromEnv(), dataDir, log: console.log });
const workerCredentials = localCredentials("worker");
console.log(`[dev] local AWS endpoint on ${endpoint.url}, state in ${dataDir ?? "memory"}${process.argv.includes("--fresh") ? " (fresh)" : ""}`);

// The contract's local key (premium), in the KV state wrangler dev is about to serve.
await createKey(new WranglerKv({ remote: false }), { key: LOCAL_DEV_KEY, tenant: LOCAL_DEV_TENANT, tier: "premium" });
console.log(`[dev] API key ${LOCAL_DEV_KEY} (premium) seeded`);

const wrangler = spawn(
  process.execPath,
  [
    `${root}node_modules/wrangler/bin/wrangler.js`,
    "dev",
    "--ip", "127.0.0.1",
    "--port", String(WORKER_PORT),
    "--show-interactive-dev-session=false",
    "--var", `AWS_REGION:${endpoint.region}`,
    "--var", `AWS_ENDPOINT_URL:${endpoint.url}`,
    // The Worker signs as its own IAM user from the stack: the local endpoint holds it to that policy.
    "--var", `AWS_ACCESS_KEY_ID:${workerCredentials.accessKeyId}`,
    "--var", `AWS_SECRET_ACCESS_KEY:${workerCredentials.secretAccessKey}`,
  ],
  {
    cwd: root,
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_HIDE_BANNER: "true",
    },
  },
);

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (wrangler.exitCode === null && wrangler.pid) {
      const exited = new Promise((resolve) => wrangler.once("exit", resolve));
      killGroup("SIGTERM");
      const timer = setTimeout(() => killGroup("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    killGroup("SIGKILL"); // any grandchild (workerd) that outlived wrangler
    await endpoint.close();
    console.log("[dev] stopped");
  }
  process.exit(code);
}

function killGroup(signal: NodeJS.Signals): void {
  try {
    process.kill(-wrangler.pid!, signal);
  } catch {
    // the group is already gone
  }
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(0));
// npm forwards SIGTERM to its `sh -c` only, which dies without passing it on: notice being
// orphaned and stop as if signalled.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop(0);
}, 500).unref();
wrangler.on("exit", (code) => {
  if (!stopping) {
    console.error(`[dev] wrangler exited (${code}); stopping`);
    void stop(code ?? 1);
  }
});

// Ready when the Worker answers /health.
for (;;) {
  if (Date.now() - started > READY_TIMEOUT_MS) {
    console.error("[dev] the Worker did not answer /health in time");
    await stop(1);
  }
  const ok = await fetch(`http://127.0.0.1:${WORKER_PORT}/health`).then((r) => r.ok, () => false);
  if (ok) break;
  await new Promise((r) => setTimeout(r, 250));
}
console.log(
  `[dev] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: Worker http://127.0.0.1:${WORKER_PORT}, AWS ${endpoint.url}. Ctrl-C stops both.`,
);
