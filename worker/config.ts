/**
 * The Worker's configuration, validated with zod once per isolate: a missing or malformed
 * variable becomes a 500 CONFIG_ERROR naming it, never a crash deep inside a route.
 */
import { z } from "zod";

/** A whole number from a var (vars arrive as strings or numbers), with a default when absent. */
const integer = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const ConfigSchema = z.object({
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as us-east-1"),
  /** Empty or absent: real AWS endpoints. Set: every AWS call goes there (the local endpoint). */
  AWS_ENDPOINT_URL: z
    .union([z.literal(""), z.url({ protocol: /^https?$/ })])
    .optional()
    .transform((v) => (v ? v.replace(/\/$/, "") : undefined)),
  AWS_ACCESS_KEY_ID: z.string().min(1),
  AWS_SECRET_ACCESS_KEY: z.string().min(1),
  AWS_SESSION_TOKEN: z.string().optional(),
  JOBS_BUCKET: z.string().min(3),
  JOBS_TABLE: z.string().min(3),
  /** The dead-letter queue's URL (the stack output); SendMessage goes to the SQS endpoint. */
  DLQ_URL: z.url({ protocol: /^https?$/ }),
  /** Part of every cache key: a new engine or model version never serves old results. */
  ENGINE_VERSION: z.string().min(1),
  /** The whole real-time request must be answered within this. */
  SYNC_DEADLINE_MS: integer(900, 100, 30_000),
  COMPREHEND_ATTEMPT_TIMEOUT_MS: integer(400, 50, 30_000),
  /** KV's minimum TTL is 60 s. */
  CACHE_TTL_SECONDS: integer(86_400, 60, 30 * 86_400),
  BREAKER_FAILURE_THRESHOLD: integer(5, 1, 1_000),
  BREAKER_COOLDOWN_MS: integer(30_000, 100, 3_600_000),
  /** A body must have arrived this long after its request did: a client that stops sending gets a 408, not an open connection. */
  BODY_READ_TIMEOUT_MS: integer(10_000, 100, 120_000),
  /** Largest batch payload accepted by /v1/analyze/async. */
  ASYNC_MAX_BYTES: integer(1024 * 1024, 1024, 100 * 1024 * 1024),
  /** How long a POST /v1/jobs upload URL works (S3 allows up to 7 days; short is safer). */
  UPLOAD_URL_TTL_SECONDS: integer(900, 1, 7 * 86_400),
  /** After the URL expires, how long an upload already under way may still arrive before the job ends. */
  UPLOAD_GRACE_SECONDS: integer(3_600, 0, 86_400),
  /** The upload-deadline state machine (stack output UploadDeadlineStateMachineArn). */
  UPLOAD_DEADLINE_STATE_MACHINE_ARN: z.string().regex(/^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/),
  /** Results (JSON lines) larger than this are answered with a redirect to a presigned S3 GET. */
  RESULTS_REDIRECT_BYTES: integer(8 * 1024 * 1024, 0, 1024 * 1024 * 1024),
  /** Local dev only: webhooks to 127.0.0.1 / localhost are accepted. */
  ALLOW_LOOPBACK_CALLBACKS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
});

export type Config = z.infer<typeof ConfigSchema>;

/** The variables as they arrive in the Worker's env (strings, unchecked until loadConfig). */
export type ConfigVariables = { [Variable in keyof z.input<typeof ConfigSchema>]?: string };

/** The variables the configuration reads (operator commands take overrides of these from their environment). */
export const CONFIG_VARIABLES = Object.keys(ConfigSchema.shape) as (keyof Config)[];

export type ConfigResult = { ok: true; config: Config } | { ok: false; variable: string; message: string };

const cache = new WeakMap<object, ConfigResult>();

/** `vars` are the Worker's env (bindings included; only the variables are read). */
export function loadConfig(vars: object): ConfigResult {
  const cached = cache.get(vars);
  if (cached) return cached;
  const parsed = ConfigSchema.safeParse(vars);
  const result: ConfigResult = parsed.success
    ? { ok: true, config: parsed.data }
    : {
        ok: false,
        variable: String(parsed.error.issues[0]?.path[0] ?? "unknown"),
        message: parsed.error.issues[0]?.message ?? "invalid",
      };
  cache.set(vars, result);
  return result;
}
