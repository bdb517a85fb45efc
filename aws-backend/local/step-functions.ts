/**
 * The batch state machine run locally: the very ASL file CDK deploys
 * (state-machine/batch-job.asl.json), executed by aws-local-stepfunctions, each Task state
 * answered in process: the real Lambda handlers, and the local endpoint for the Comprehend and
 * DynamoDB service integrations, with AWS's error names (`Comprehend.ThrottlingException`).
 * It starts an execution for each object created under uploads/, standing in for EventBridge.
 */
import { readFileSync } from "node:fs";
import { BatchDetectSentimentCommand, ComprehendClient, type BatchDetectSentimentCommandInput } from "@aws-sdk/client-comprehend";
import { DynamoDBClient, UpdateItemCommand, type UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import { withResolvers } from "../../shared/deferred.ts";
import { S3_PREFIXES } from "../../shared/jobs.ts";
import { ASL_PATH } from "../lib/batch-pipeline-paths.ts";
import { aggregate } from "../lambdas/aggregate.ts";
import type { BatchDeps } from "../lambdas/deps.ts";
import { loadBatch } from "../lambdas/load-batch.ts";
import { markFailed } from "../lambdas/mark-failed.ts";
import { prepare } from "../lambdas/prepare.ts";
import { saveBatch } from "../lambdas/save-batch.ts";
import { deliverWebhook } from "../lambdas/webhook.ts";
import type { LambdaName } from "../lib/batch-pipeline.ts";
import type { LocalEndpoint } from "./batch-deps.ts";
import { localCredentials } from "./resources.ts";

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); Node 20 lacks it.
if (!("withResolvers" in Promise)) Object.assign(Promise, { withResolvers });

/** Placeholders get local names; the Task states are answered by state name, not by ARN. */
export function localDefinition(jobsTable: string): unknown {
  const text = readFileSync(ASL_PATH, "utf8").replace(/\$\{(\w+)\}/g, (_, name: string) =>
    name === "JobsTableName" ? jobsTable : `arn:aws:lambda:us-east-1:000000000000:function:${name.replace(/FunctionArn$/, "")}`,
  );
  return JSON.parse(text);
}

export interface LocalRunnerOptions {
  /** Each Lambda's deps, its clients signed as its own role. */
  depsFor: (fn: LambdaName) => BatchDeps;
  endpoint: LocalEndpoint;
  /** Retry waits (ms) instead of the ASL's seconds: tests pass a few ms; dev keeps the real ones. */
  retryIntervalMs?: number;
  log?: (line: string) => void;
}

export class LocalStepFunctions {
  private readonly running = new Set<Promise<unknown>>();
  // Service integrations make one call per attempt; the state's Retry does the retrying.
  private readonly dynamo: DynamoDBClient;
  private readonly comprehend: ComprehendClient;

  constructor(private readonly options: LocalRunnerOptions) {
    const { endpoint } = options;
    // Signed as the state machine's role, as AWS makes its service integrations' calls.
    const common = { endpoint: endpoint.url, region: endpoint.region, credentials: localCredentials("state-machine"), maxAttempts: 1 };
    this.dynamo = new DynamoDBClient(common);
    this.comprehend = new ComprehendClient(common);
  }

  /** The EventBridge rule's job: objects under uploads/ of the jobs bucket start an execution. */
  onObjectCreated = (event: { bucket: string; key: string }): void => {
    if (event.bucket !== this.options.depsFor("prepare").bucket || !event.key.startsWith(S3_PREFIXES.uploads)) return;
    void this.start({ "detail-type": "Object Created", source: "aws.s3", detail: { bucket: { name: event.bucket }, object: { key: event.key } } });
  };

  /** Starts an execution; it counts as running from this call on. */
  start(input: unknown): Promise<unknown> {
    this.started++;
    const done = this.execute(input);
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return done;
  }

  private async execute(input: unknown): Promise<unknown> {
    const { StateMachine } = await import("aws-local-stepfunctions");
    const machine = new StateMachine(localDefinition(this.options.depsFor("prepare").table) as never, { validationOptions: { checkArn: false } as never });
    const names = ["Prepare", "MarkProcessing", "LoadBatch", "DetectSentiment", "SaveBatch", "Aggregate", "Webhook", "MarkFailed"];
    const retryIntervalOverrides =
      this.options.retryIntervalMs === undefined ? undefined : Object.fromEntries(names.map((n) => [n, this.options.retryIntervalMs!]));
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.handlers() as never, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
    });
    return execution.result.then(
      (output) => {
        this.options.log?.(`[step-functions] execution succeeded`);
        return output;
      },
      (err: Error) => {
        this.options.log?.(`[step-functions] execution failed: ${err.name}`);
        return { error: err.name };
      },
    );
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Executions started so far (a duplicate delivery starts one too, which stops at IsDuplicate). */
  started = 0;

  /** Resolves when no execution is running (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private handlers() {
    const { depsFor } = this.options;
    const lambda =
      <I, O>(name: LambdaName, fn: (deps: BatchDeps, input: I) => Promise<O>) =>
      async (input: { Payload: I }) => {
        try {
          return { StatusCode: 200, Payload: await fn(depsFor(name), input.Payload) };
        } catch (err) {
          // As Lambda reports a function error: Error = errorType, Cause = JSON with errorMessage.
          throw named((err as Error).name, JSON.stringify({ errorType: (err as Error).name, errorMessage: (err as Error).message }));
        }
      };
    const service =
      <I>(prefix: string, call: (input: I) => Promise<unknown>) =>
      async (input: I) => {
        try {
          const { $metadata: _metadata, ...output } = (await call(input)) as Record<string, unknown>;
          return output;
        } catch (err) {
          throw named(`${prefix}.${(err as Error).name}`, (err as Error).message);
        }
      };
    return {
      Prepare: lambda("prepare", prepare),
      LoadBatch: lambda("load-batch", loadBatch),
      SaveBatch: lambda("save-batch", saveBatch),
      Aggregate: lambda("aggregate", aggregate),
      Webhook: lambda("webhook", deliverWebhook),
      MarkFailed: lambda("mark-failed", markFailed),
      DetectSentiment: service("Comprehend", (input: BatchDetectSentimentCommandInput) => this.comprehend.send(new BatchDetectSentimentCommand(input))),
      MarkProcessing: service("DynamoDB", (input: UpdateItemCommandInput) => this.dynamo.send(new UpdateItemCommand(input))),
    };
  }
}

function named(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}
