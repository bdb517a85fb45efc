/** Test helpers: a local AWS endpoint on a free port and SDK clients pointed at it. */
import { ComprehendClient } from "@aws-sdk/client-comprehend";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { startLocalAws as startEndpoint, type LocalAws, type LocalAwsOptions } from "../../aws-backend/local/server.ts";
import type { BatchDeps } from "../../aws-backend/lambdas/deps.ts";
import { collectParts } from "../../aws-backend/lambdas/collect-parts.ts";
import { startLocalStack } from "../../aws-backend/local/stack.ts";
import { SENTIMENT_JOB_QUOTAS } from "../../shared/comprehend.ts";
import { planUpload } from "../../aws-backend/lambdas/plan-upload.ts";
import { prepare, type PartWork } from "../../aws-backend/lambdas/prepare.ts";
import { readJson } from "../../aws-backend/lambdas/storage.ts";
import { aggregate } from "../../aws-backend/lambdas/aggregate.ts";
import { aggregatePart } from "../../aws-backend/lambdas/aggregate-part.ts";
import { workKeys, type AggregatePartWork } from "../../aws-backend/lambdas/work/layout.ts";
import { jobPk, uploadKey, type JobFormat, type JobRow } from "../../shared/jobs.ts";

export interface Clients {
  comprehend: ComprehendClient;
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  sqs: SQSClient;
}

export function sdkClients(
  endpoint: LocalAws,
  credentials = endpoint.credentials,
): Clients {
  // maxAttempts 1: tests see each answer of the endpoint, not the SDK's retries.
  const common = { endpoint: endpoint.url, region: endpoint.region, credentials, maxAttempts: 1 };
  return {
    comprehend: new ComprehendClient(common),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(common)),
    s3: new S3Client({ ...common, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED" }),
    sqs: new SQSClient(common),
  };
}

/**
 * Comprehend's rates raised a hundredfold for tests not about throttling (their bursts would
 * otherwise be throttled at AWS's 20 / 10 requests a second); the throttling tests pass the real ones.
 */
export const TEST_COMPREHEND_RATES = { single: 2_000, batch: 1_000 };

export function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  return startEndpoint({ comprehend: { rates: TEST_COMPREHEND_RATES }, ...options });
}

export type { LocalAws };

/**
 * A job as the Worker would create it: its row (PENDING) in the local jobs table; the caller
 * uploads the payload to `key`, which (with the local runner) starts the state machine.
 */
export async function putJobRow(
  deps: BatchDeps,
  format: JobFormat,
  options: Partial<JobRow["options"]> = {},
  tenantId = "acme",
): Promise<{ jobId: string; key: string; row: JobRow }> {
  const jobId = `job_${crypto.randomUUID().replace(/-/g, "")}`;
  const createdAt = new Date();
  const key = uploadKey(jobId, createdAt);
  const row: JobRow = {
    pk: jobPk(jobId),
    job_id: jobId,
    tenant_id: tenantId,
    status: "PENDING",
    format,
    created_at: createdAt.toISOString(),
    upload_key: key,
    options: { pii: "redact", ...options },
    expires_at: Math.floor(createdAt.getTime() / 1000) + 86_400,
  };
  await deps.dynamo.send(new PutCommand({ TableName: deps.table, Item: row }));
  return { jobId, key, row };
}

/**
 * What the state machine does from an upload to its analysis inputs, by hand: plan-upload, each
 * part through prepare (one at a time here; the PrepareParts Map runs them side by side), then
 * collect-parts. Each with its own role's clients (`depsFor`).
 */
export async function prepareUpload(depsFor: (fn: "plan-upload" | "prepare" | "collect-parts") => BatchDeps, key: string) {
  const deps = depsFor("plan-upload");
  const plan = await planUpload(deps, { bucket: deps.bucket, key });
  if (plan.duplicate) return { ...plan, parts: [] as PartWork[] };
  // The Map reads the parts as the state machine's role; collect-parts' role may read them too.
  const parts = await readJson<PartWork[]>(depsFor("collect-parts"), plan.parts_key);
  for (const part of parts) await prepare(depsFor("prepare"), part);
  return { ...plan, parts, ...(await collectParts(depsFor("collect-parts"), { job_id: plan.job_id })) };
}

/**
 * What the state machine does from the analysis to a finished job, by hand: each part's results
 * through aggregate-part (the AggregateParts Map runs them side by side), then aggregate.
 */
export async function aggregateJob(depsFor: (fn: "aggregate-part" | "aggregate") => BatchDeps, jobId: string) {
  const parts = await readJson<AggregatePartWork[]>(depsFor("aggregate-part"), workKeys(jobId).aggregateParts);
  for (const part of parts) await aggregatePart(depsFor("aggregate-part"), part);
  return aggregate(depsFor("aggregate"), { job_id: jobId });
}

/**
 * A local stack for batch tests: retries and Wait states in milliseconds, each upload's event
 * delivered at once and once, Comprehend at test rates, and its sentiment jobs held to `jobLines`
 * lines on both sides (the endpoint's quota and prepare's cut), so a test file can reach it.
 */
export function startBatchTestStack(jobLines: number, batch: NonNullable<Parameters<typeof startLocalStack>[0]>["batch"] = {}) {
  return startLocalStack({
    port: 0,
    retryIntervalMs: 1,
    waitMs: 50,
    comprehend: { rates: TEST_COMPREHEND_RATES, jobQuotas: { maxDocuments: jobLines } },
    events: { minDelayMs: 0, maxDelayMs: 0, duplicateShare: 0 },
    batch: { ...batch, sentimentJobQuotas: { ...SENTIMENT_JOB_QUOTAS, maxDocuments: jobLines } },
  });
}
