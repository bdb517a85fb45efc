/**
 * The bundled Worker (dist/index.js, `npm run build`) served by workerd's own HTTP server under
 * Miniflare, bound to a local AWS endpoint as wrangler.toml binds it, the Worker signing as its
 * own IAM user. For what only a real socket shows (the benchmarks, raw-HTTP probes).
 */
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { fileURLToPath } from "node:url";
import { localCredentials } from "../aws-backend/local/resources.ts";
import { createKey } from "../worker/auth/api-keys.ts";
import type { PlanLimits, Tier } from "../shared/tiers.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface MiniflareWorker {
  url: string;
  /** A new API key of `tier` in the Worker's KV. */
  newKey: (tier?: Tier, options?: { tenant?: string; shareCache?: boolean; limits?: Partial<PlanLimits> }) => Promise<string>;
  dispose: () => Promise<void>;
}

/** `inspectorPort`: expose the Worker's V8 inspector there (the soak reads its heap). */
export async function startMiniflareWorker(awsEndpointUrl: string, vars: Record<string, string> = {}, inspectorPort?: number): Promise<MiniflareWorker> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(`${root}wrangler.toml`);
  const mf = new Miniflare({
    ...workerOptions,
    name: "aurastream",
    modules: true,
    scriptPath: `${root}dist/index.js`,
    bindings: {
      ...workerOptions.bindings,
      AWS_ENDPOINT_URL: awsEndpointUrl,
      AWS_ACCESS_KEY_ID: localCredentials("worker").accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials("worker").secretAccessKey,
      ...vars,
    },
    host: "127.0.0.1",
    port: 0,
    ...(inspectorPort ? { inspectorPort, unsafeInspectorProxy: true } : {}),
    // The Worker logs a JSON line per request: drain them, do not print thousands of lines.
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      stdout.resume();
      stderr.resume();
    },
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const kv = await mf.getKVNamespace("KV");
  return {
    url,
    newKey: async (tier = "premium", options = {}) => (await createKey(kv as never, { tenant: options.tenant ?? "miniflare", tier, shareCache: options.shareCache, limits: options.limits })).key,
    dispose: () => mf.dispose(),
  };
}
