/**
 * The AWS resources the local endpoint creates at start: the same names the Worker's local
 * configuration (wrangler.toml [vars]) points at.
 */
import { mkdirSync, rmSync } from "node:fs";

export const LOCAL_RESOURCES = {
  bucket: "aurastream-jobs",
  jobsTable: "aurastream-jobs",
  deadLetterQueue: "aurastream-dlq",
} as const;

/** Defaults follow LocalStack's conventions; main.ts and dev.ts read overrides from the environment. */
export const LOCAL_DEFAULTS = {
  host: "127.0.0.1",
  port: 4566,
  region: "us-east-1",
  accessKeyId: "test",
  secretAccessKey: "test",
} as const;

/**
 * Where `npm run dev` and `npm run local-aws` keep S3, DynamoDB, SQS and the executions in
 * flight: LOCAL_AWS_DATA_DIR, else .aurastream-local/ in the checkout (gitignored). `--fresh`
 * empties it first; LOCAL_AWS_DATA_DIR=memory keeps nothing.
 */
export function localDataDir(root: string, argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.LOCAL_AWS_DATA_DIR ?? `${root.replace(/\/$/, "")}/.aurastream-local`;
  if (dir === "memory") return undefined;
  if (argv.includes("--fresh")) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The endpoint's settings from LOCAL_AWS_* and AWS_REGION, falling back to the defaults. */
export function localSettingsFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return {
    host: env.LOCAL_AWS_HOST ?? LOCAL_DEFAULTS.host,
    port: Number(env.LOCAL_AWS_PORT ?? LOCAL_DEFAULTS.port),
    region: env.AWS_REGION ?? LOCAL_DEFAULTS.region,
    credentials: {
      accessKeyId: env.LOCAL_AWS_ACCESS_KEY_ID ?? LOCAL_DEFAULTS.accessKeyId,
      secretAccessKey: env.LOCAL_AWS_SECRET_ACCESS_KEY ?? LOCAL_DEFAULTS.secretAccessKey,
    },
  };
}

/**
 * Each principal of the stack signs with its own local credentials (the local endpoint checks
 * its calls against that principal's policies from the stack): the Worker's user ("worker"),
 * each Lambda's role (its name: "prepare", ..., "mark-failed") and the state machine's role
 * ("state-machine"). The default credentials (test / test) stay an administrator.
 */
export function localCredentials(principal: string): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `AKIALOCAL${principal.replace(/[^a-z0-9]/gi, "").toUpperCase()}`, secretAccessKey: `aurastream-local-${principal}` };
}
