/**
 * The Worker's configuration, validated with zod once per isolate: a missing or malformed
 * variable becomes a 500 CONFIG_ERROR naming it, never a crash deep inside a route.
 */
import { z } from "zod";
import type { RateLimiter } from "./durable-objects/rate-limiter.ts";

export interface Bindings {
  KV: KVNamespace;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  AWS_REGION?: string;
  AWS_ENDPOINT_URL?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_SESSION_TOKEN?: string;
  JOBS_BUCKET?: string;
  JOBS_TABLE?: string;
  DLQ_NAME?: string;
  ENGINE_VERSION?: string;
}

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
  DLQ_NAME: z.string().min(1),
  ENGINE_VERSION: z.string().min(1),
});

export type Config = z.infer<typeof ConfigSchema>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; variable: string; message: string };

const cache = new WeakMap<object, ConfigResult>();

export function loadConfig(env: Bindings): ConfigResult {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = ConfigSchema.safeParse(env);
  const result: ConfigResult = parsed.success
    ? { ok: true, config: parsed.data }
    : {
        ok: false,
        variable: String(parsed.error.issues[0]?.path[0] ?? "unknown"),
        message: parsed.error.issues[0]?.message ?? "invalid",
      };
  cache.set(env, result);
  return result;
}
