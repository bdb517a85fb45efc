/**
 * What the batch Lambdas talk to, passed in explicitly: in AWS the clients come from the Lambda
 * environment; the local runner and the tests build them against the local endpoint.
 */
import { ASYNC_JOB_MIN_BYTES } from "../../shared/jobs.ts";
import { ComprehendClient } from "@aws-sdk/client-comprehend";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { runClassified, SDK_CLIENT_CONFIG } from "./errors.ts";
import { systemResolveHost, type ResolveHost } from "./webhook-http.ts";
import { PART_LIMITS, type PartLimits } from "./work/upload-parts.ts";
import { JOB_BATCH_CONCURRENCY, SENTIMENT_JOB_QUOTAS, type SentimentJobQuotas } from "../../shared/comprehend.ts";

export interface BatchDeps {
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  comprehend: ComprehendClient;
  /** The stale-job sweeper asks Step Functions whether a job's execution still runs. */
  stepFunctions: SFNClient;
  bucket: string;
  table: string;
  maxConcurrency: number;
  /** Uploads larger than this go through Comprehend's asynchronous jobs (the async route). */
  asyncMinBytes: number;
  /** What one Comprehend sentiment job may take (AWS's quotas; tests lower them to reach them). */
  sentimentJobQuotas: SentimentJobQuotas;
  /** What one prepare Lambda reads of an upload (plan-upload cuts larger files into parts). */
  partLimits: PartLimits;
  /** A job with a larger share of failed rows ends FAILED (TOO_MANY_FAILED_ROWS) instead of COMPLETED. */
  maxFailedRowShare: number;
  /** The HMAC key webhook signatures are made with. */
  webhookSecret: () => Promise<string>;
  /** Local dev only: callbacks to 127.0.0.1 / localhost are allowed. */
  allowLoopbackCallbacks: boolean;
  /** The webhook's resolver: every address it returns is checked before the webhook connects. */
  resolveHost: ResolveHost;
  now: () => Date;
}


/**
 * More than half the rows failing means the file (the wrong column, the wrong format) or the
 * service is wrong, not a few rows: the job is then FAILED, its rows' reasons still written.
 */
export const MAX_FAILED_ROW_SHARE = 0.5;

/** The variables every batch Lambda gets from the stack (lib/batch-pipeline.ts), checked at cold start. */
export const LambdaEnvironment = z.object({
  JOBS_BUCKET: z.string().min(3),
  JOBS_TABLE: z.string().min(3),
  MAX_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(JOB_BATCH_CONCURRENCY),
  WEBHOOK_SECRET_ARN: z.string().startsWith("arn:"),
  ASYNC_JOB_MIN_BYTES: z.coerce.number().int().min(0).default(ASYNC_JOB_MIN_BYTES),
  MAX_FAILED_ROW_SHARE: z.coerce.number().min(0).max(1).default(MAX_FAILED_ROW_SHARE),
});

/** The environment, or an error naming the first variable that is missing or malformed. */
export function lambdaEnvironment(env: NodeJS.ProcessEnv = process.env): z.infer<typeof LambdaEnvironment> {
  const parsed = LambdaEnvironment.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(`Lambda environment: ${String(issue.path[0])} ${issue.input === undefined ? "is not set" : issue.message}`);
}

/** The deps of a Lambda in AWS, from its environment (built once per container). */
export function depsFromEnvironment(env: NodeJS.ProcessEnv = process.env): BatchDeps {
  const vars = lambdaEnvironment(env);
  const secrets = new SecretsManagerClient(SDK_CLIENT_CONFIG);
  let secret: Promise<string> | undefined;
  return {
    s3: new S3Client(SDK_CLIENT_CONFIG),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(SDK_CLIENT_CONFIG), { marshallOptions: { removeUndefinedValues: true } }),
    comprehend: new ComprehendClient(SDK_CLIENT_CONFIG),
    stepFunctions: new SFNClient(SDK_CLIENT_CONFIG),
    bucket: vars.JOBS_BUCKET,
    table: vars.JOBS_TABLE,
    maxConcurrency: vars.MAX_CONCURRENCY,
    asyncMinBytes: vars.ASYNC_JOB_MIN_BYTES,
    sentimentJobQuotas: SENTIMENT_JOB_QUOTAS,
    partLimits: PART_LIMITS,
    maxFailedRowShare: vars.MAX_FAILED_ROW_SHARE,
    webhookSecret: () =>
      (secret ??= secrets.send(new GetSecretValueCommand({ SecretId: vars.WEBHOOK_SECRET_ARN })).then((out) => out.SecretString ?? "")),
    allowLoopbackCallbacks: false,
    resolveHost: systemResolveHost,
    now: () => new Date(),
  };
}

let cached: BatchDeps | undefined;
/** For the exported handlers: the environment's deps, made on first use. */
const lambdaDeps = () => (cached ??= depsFromEnvironment());

/** A Lambda's exported handler: its work with the environment's deps, its failure classified (errors.ts). */
export const lambdaHandler =
  <I, O>(work: (deps: BatchDeps, event: I) => Promise<O>) =>
  (event: I): Promise<O> =>
    runClassified(() => work(lambdaDeps(), event));
