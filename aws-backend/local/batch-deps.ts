/**
 * The batch Lambdas' deps pointed at a local endpoint: the same handlers, run in process by the
 * local state machine runner and the tests.
 */
import { ComprehendClient } from "@aws-sdk/client-comprehend";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ASYNC_JOB_MIN_BYTES } from "../../shared/jobs.ts";
import { MAX_FAILED_ROW_SHARE, type BatchDeps } from "../lambdas/deps.ts";
import { SDK_CLIENT_CONFIG } from "../lambdas/errors.ts";
import { systemResolveHost } from "../lambdas/webhook-http.ts";
import { PART_LIMITS } from "../lambdas/work/upload-parts.ts";
import type { LambdaName } from "../lib/batch-pipeline.ts";
import { LOCAL_RESOURCES, localCredentials } from "./resources.ts";
import { JOB_BATCH_CONCURRENCY, SENTIMENT_JOB_QUOTAS } from "../../shared/comprehend.ts";

/** Local dev signs webhooks with this key (production: a Secrets Manager secret). */
export const LOCAL_WEBHOOK_SECRET = "aurastream-local-webhook-secret";

export interface LocalEndpoint {
  url: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * The clients of one Lambda, signed as its role (`fn`), so the local endpoint holds each call to
 * that role's policies from the stack; without `fn`, as the administrator (tests' set-up, scripts).
 */
export function localBatchDeps(endpoint: LocalEndpoint, fn?: LambdaName, overrides: Partial<BatchDeps> = {}): BatchDeps {
  // The same retry and timeouts as in AWS (errors.ts): a local pass must survive what AWS's would.
  const common = { ...SDK_CLIENT_CONFIG, endpoint: endpoint.url, region: endpoint.region, credentials: fn ? localCredentials(fn) : endpoint.credentials };
  return {
    // Path-style and no streamed checksums: what s3rver understands.
    s3: new S3Client({ ...common, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED" }),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(common), { marshallOptions: { removeUndefinedValues: true } }),
    comprehend: new ComprehendClient(common),
    stepFunctions: new SFNClient(common),
    bucket: LOCAL_RESOURCES.bucket,
    table: LOCAL_RESOURCES.jobsTable,
    maxConcurrency: JOB_BATCH_CONCURRENCY,
    asyncMinBytes: ASYNC_JOB_MIN_BYTES,
    sentimentJobQuotas: SENTIMENT_JOB_QUOTAS,
    partLimits: PART_LIMITS,
    maxFailedRowShare: MAX_FAILED_ROW_SHARE,
    webhookSecret: async () => LOCAL_WEBHOOK_SECRET,
    allowLoopbackCallbacks: true,
    resolveHost: systemResolveHost,
    now: () => new Date(),
    ...overrides,
  };
}
