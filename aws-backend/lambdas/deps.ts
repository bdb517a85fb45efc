/**
 * What the batch Lambdas talk to, passed in explicitly: in AWS the clients come from the Lambda
 * environment; the local runner and the tests build them against the local endpoint.
 */
import { ComprehendClient } from "@aws-sdk/client-comprehend";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface BatchDeps {
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  comprehend: ComprehendClient;
  bucket: string;
  table: string;
  maxConcurrency: number;
  /** The HMAC key webhook signatures are made with. */
  webhookSecret: () => Promise<string>;
  /** Local dev only: callbacks to 127.0.0.1 / localhost are allowed. */
  allowLoopbackCallbacks: boolean;
  fetch: typeof fetch;
  now: () => Date;
}

/** The deps of a Lambda in AWS, from its environment (built once per container). */
export function depsFromEnvironment(env: NodeJS.ProcessEnv = process.env): BatchDeps {
  const secrets = new SecretsManagerClient({});
  let secret: Promise<string> | undefined;
  return {
    s3: new S3Client({}),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
    comprehend: new ComprehendClient({}),
    bucket: required(env, "JOBS_BUCKET"),
    table: required(env, "JOBS_TABLE"),
    maxConcurrency: Number(env.MAX_CONCURRENCY ?? 10),
    webhookSecret: () =>
      (secret ??= secrets
        .send(new GetSecretValueCommand({ SecretId: required(env, "WEBHOOK_SECRET_ARN") }))
        .then((out) => out.SecretString ?? "")),
    allowLoopbackCallbacks: false,
    fetch: globalThis.fetch,
    now: () => new Date(),
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

let cached: BatchDeps | undefined;
/** For the exported handlers: the environment's deps, made on first use. */
export const lambdaDeps = () => (cached ??= depsFromEnvironment());
