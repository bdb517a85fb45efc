/**
 * `npm run local-aws` as its own process (aws-backend/local/main.ts), on a chosen port over a
 * data folder: what tests and the chaos run kill (SIGKILL, mid-work) and start again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { LOCAL_DEFAULTS } from "../aws-backend/local/resources.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface LocalAwsProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGKILL: nothing in flight gets to finish. */
  kill: () => Promise<void>;
}

/** Starts it on `port` over `dataDir` (extra `args`, e.g. --fresh); resolves once it is ready. */
export async function startLocalAwsProcess(port: number, dataDir: string, args: string[] = []): Promise<LocalAwsProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "aws-backend/local/main.ts", ...args], {
    cwd: root,
    env: { ...process.env, LOCAL_AWS_PORT: String(port), LOCAL_AWS_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (c: Buffer) => {
    // The last 64 KiB: enough to explain a failure, not a whole run's log lines.
    output = (output + c.toString()).slice(-65_536);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  for (let i = 0; !output.includes("[local-aws] ready"); i++) {
    if (i > 600 || child.exitCode !== null) throw new Error(`local-aws did not start:\n${output.slice(-2_000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    kill: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", () => resolve()), child.kill("SIGKILL")))),
  };
}

/** The administrator's view of an endpoint at `url` (for localBatchDeps and SDK clients). */
export const adminEndpoint = (url: string) => ({ url, region: LOCAL_DEFAULTS.region, credentials: { accessKeyId: LOCAL_DEFAULTS.accessKeyId, secretAccessKey: LOCAL_DEFAULTS.secretAccessKey } });
