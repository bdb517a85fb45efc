/**
 * `npm run dlq -- replay`: re-processes the real-time events that failed (the dead-letter
 * queue): each redacted text is analysed again through the same pipeline as the Worker, the
 * result goes into the Worker's cache (so the client's retry is a hit), and the message is
 * deleted. A message that fails again stays in the queue. `npm run dlq -- count` shows the depth.
 *
 * Local by default (the endpoint and KV state of `npm run dev`); `--remote --env production`
 * uses that environment's wrangler.toml vars, AWS credentials from this shell, and the deployed KV.
 */
import { parseArgs } from "node:util";
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Analyzer } from "../worker/analysis/analyzer.ts";
import { DEAD_LETTER_SCHEMA_VERSION, KEPT_DEAD_LETTER_PREFIX, type DeadLetterEvent } from "../worker/analysis/dead-letter.ts";
import { CircuitBreaker } from "../worker/aws/circuit-breaker.ts";
import { ComprehendClient } from "../worker/aws/comprehend.ts";
import { Deadline } from "../worker/aws/deadline.ts";
import { awsEndpoint } from "../worker/aws/endpoints.ts";
import { ResultCache } from "../worker/cache/result-cache.ts";
import { fileURLToPath } from "node:url";
import { LOCAL_DEFAULTS } from "../aws-backend/local/resources.ts";
import { CONFIG_VARIABLES, loadConfig, type Config } from "../worker/config.ts";
import { WranglerKv, kvTargetFromArgs, type KvTarget } from "./wrangler-kv.ts";

export interface ReplayOptions {
  region: string;
  /** undefined: the public AWS endpoints. */
  endpoint?: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  queueUrl: string;
  kv: KvTarget;
  engineVersion: string;
  cacheTtlSeconds: number;
  max: number;
}

export interface ReplaySummary {
  /** Events the Worker kept in KV because SQS would not take them, moved into the queue first. */
  requeued: number;
  received: number;
  replayed: number;
  cached: number;
  failed: number;
  malformed: number;
}

export async function replayDeadLetters(options: ReplayOptions, log: (line: string) => void = console.log): Promise<ReplaySummary> {
  const sqs = new SQSClient({ region: options.region, endpoint: options.endpoint, credentials: options.credentials });
  const kv = new WranglerKv(options.kv);
  const comprehend = new ComprehendClient({
    credentials: options.credentials,
    region: options.region,
    endpoint: awsEndpoint("comprehend", options.region, options.endpoint),
    breaker: new CircuitBreaker({ failureThreshold: 3, cooldownMs: 60_000 }),
    retry: { maxAttempts: 5, attemptTimeoutMs: 5_000, baseDelayMs: 200, maxDelayMs: 5_000, minAttemptMs: 100 },
  });
  const analyzer = new Analyzer({
    comprehend,
    cache: new ResultCache(kv, options.cacheTtlSeconds),
    inflight: new Map(),
    engineVersion: options.engineVersion,
    ownAttemptReserveMs: 5_050,
  });
  const summary: ReplaySummary = { requeued: 0, received: 0, replayed: 0, cached: 0, failed: 0, malformed: 0 };
  // What the Worker kept in KV when the queue would not take it goes into the queue first, then
  // out of KV: one place to replay from, and nothing dropped on the way.
  for (const { name } of await kv.list(KEPT_DEAD_LETTER_PREFIX)) {
    const event = await kv.get(name, "json");
    if (event) await sqs.send(new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: JSON.stringify(event) }));
    await kv.delete(name);
    summary.requeued++;
  }

  while (summary.received < options.max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: options.queueUrl, MaxNumberOfMessages: Math.min(10, options.max - summary.received), WaitTimeSeconds: 1, VisibilityTimeout: 120 }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      summary.received++;
      const event = parseEvent(message.Body);
      if (!event) {
        summary.malformed++;
        log(`skip ${message.MessageId}: not a dead-letter event (left in the queue)`);
        continue;
      }
      // Re-analysed with the options that give the same cache key as the original request when
      // the stored text is what was analysed; otherwise as a redacted text.
      const pii = event.item.cache_key ? event.item.pii : "redact";
      const report = await analyzer.analyze(
        [{ text: event.item.redacted_text, options: { language_code: event.item.language_code as never, pii, include_confidence: true, fallback: false } }],
        new Deadline(30_000),
        // Into the cache of the tenant whose request failed, under the same key.
        { cacheScope: event.item.cache_scope, defaultLanguage: event.item.default_language, fallback: false },
      );
      await Promise.all(report.pending);
      const outcome = report.outcomes[0]!;
      if (!outcome.ok) {
        summary.failed++;
        log(`failed ${event.request_id}: ${outcome.error.code} (${outcome.error.details.upstream ?? "-"}); kept for a later replay`);
        continue;
      }
      summary.replayed++;
      if (report.pending.length > 0) summary.cached++;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      log(`replayed ${event.request_id} (key ${event.key_id}): ${outcome.result.sentiment}`);
    }
  }
  return summary;
}

export async function queueDepth(options: Pick<ReplayOptions, "region" | "endpoint" | "credentials" | "queueUrl">): Promise<number> {
  const sqs = new SQSClient({ region: options.region, endpoint: options.endpoint, credentials: options.credentials });
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
}

function parseEvent(body: string | undefined): DeadLetterEvent | null {
  try {
    const event = JSON.parse(body ?? "") as DeadLetterEvent;
    // Version 1 events have no cache scope: replaying them could fill no tenant's cache. They stay for a person to look at.
    const valid = event?.version === DEAD_LETTER_SCHEMA_VERSION && typeof event.item?.cache_scope === "string" && typeof event.item.redacted_text === "string" && event.item.redacted_text.trim();
    return valid ? event : null;
  } catch {
    return null;
  }
}

/**
 * The Worker's own configuration, read the way the Worker gets it: wrangler.toml's [vars] (of
 * `--env` when given), then this process's environment, validated by the same loader.
 */
async function workerConfig(envName: string | undefined, remote: boolean): Promise<Config> {
  const { unstable_readConfig } = await import("wrangler");
  const { vars } = unstable_readConfig({ config: fileURLToPath(new URL("../wrangler.toml", import.meta.url)), env: envName });
  const overrides = Object.fromEntries(CONFIG_VARIABLES.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
  const local = remote ? {} : { AWS_ACCESS_KEY_ID: LOCAL_DEFAULTS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_DEFAULTS.secretAccessKey };
  const loaded = loadConfig({ ...vars, ...local, ...overrides });
  if (!loaded.ok) throw new Error(`configuration: ${loaded.variable} ${loaded.message}`);
  return loaded.config;
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { remote: { type: "boolean" }, env: { type: "string" }, "persist-to": { type: "string" }, max: { type: "string" } },
  });
  const remote = values.remote === true;
  const config = await workerConfig(values.env, remote);
  const options: ReplayOptions = {
    region: config.AWS_REGION,
    endpoint: config.AWS_ENDPOINT_URL,
    credentials: { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY, sessionToken: config.AWS_SESSION_TOKEN },
    queueUrl: config.DLQ_URL,
    kv: kvTargetFromArgs(values),
    engineVersion: config.ENGINE_VERSION,
    cacheTtlSeconds: config.CACHE_TTL_SECONDS,
    max: Number(values.max ?? 1_000),
  };
  switch (positionals[0]) {
    case "replay": {
      const s = await replayDeadLetters(options);
      console.log(`requeued ${s.requeued} kept in KV, received ${s.received}, replayed ${s.replayed} (cached ${s.cached}), failed again ${s.failed}, malformed ${s.malformed}`);
      process.exitCode = s.failed > 0 ? 1 : 0;
      break;
    }
    case "count":
      console.log(`${await queueDepth(options)} message(s) in ${options.queueUrl}`);
      break;
    default:
      console.error("usage: npm run dlq -- <replay|count> [--max N] [--remote [--env production]]");
      process.exitCode = 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
