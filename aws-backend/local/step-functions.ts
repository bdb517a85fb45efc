/**
 * The batch state machine run locally: the very ASL file CDK deploys
 * (state-machine/batch-job.asl.json), executed by aws-local-stepfunctions, each Task state
 * answered in process: the real Lambda handlers, and the local endpoint for the Comprehend and
 * DynamoDB service integrations, with AWS's error names (`Comprehend.ThrottlingException`).
 * It starts an execution for each object created under uploads/, standing in for EventBridge,
 * holds each execution to Step Functions' payload and history quotas (execution-limits.ts), and
 * when an execution fails, does what the stack's EventBridge rule on "Execution Status Change"
 * does on AWS: hands the event to the mark-failed Lambda.
 */
import { readFileSync } from "node:fs";
import {
  BatchDetectSentimentCommand,
  ComprehendClient,
  DescribeSentimentDetectionJobCommand,
  StartSentimentDetectionJobCommand,
  type BatchDetectSentimentCommandInput,
  type DescribeSentimentDetectionJobCommandInput,
  type StartSentimentDetectionJobCommandInput,
} from "@aws-sdk/client-comprehend";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient, UpdateItemCommand, type UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import { withResolvers } from "../../shared/deferred.ts";
import { S3_PREFIXES } from "../../shared/jobs.ts";
import { ASL_PATH, BATCH_STATE_MACHINE_NAME, UPLOAD_DEADLINE_ASL_PATH, UPLOAD_DEADLINE_STATE_MACHINE_NAME } from "../lib/batch-pipeline-paths.ts";
import { aggregate } from "../lambdas/aggregate.ts";
import { aggregatePart } from "../lambdas/aggregate-part.ts";
import type { BatchDeps } from "../lambdas/deps.ts";
import { isTransient, runClassified } from "../lambdas/errors.ts";
import { loadBatch } from "../lambdas/load-batch.ts";
import { markFailed, type ExecutionStatusChange } from "../lambdas/mark-failed.ts";
import { prepare } from "../lambdas/prepare.ts";
import { planUpload } from "../lambdas/plan-upload.ts";
import { collectParts } from "../lambdas/collect-parts.ts";
import { saveBatch } from "../lambdas/save-batch.ts";
import { deliverWebhook } from "../lambdas/webhook.ts";
import type { LambdaName } from "../lib/batch-pipeline.ts";
import type { LocalEndpoint } from "./batch-deps.ts";
import { named, runDistributedMap, withLocalDistributedMaps, type ChildOutcome, type DistributedMapSpec, type MapRunParameters } from "./distributed-map.ts";
import { ExecutionLimits, type ExecutionLimitOptions, type LimitBreach } from "./execution-limits.ts";
import { LOCAL_ACCOUNT } from "./iam/template.ts";
import { AwsError } from "./protocol.ts";
import { localCredentials } from "./resources.ts";
import { readStateFile, writeStateFile } from "./state-file.ts";

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); Node 20 lacks it.
if (!("withResolvers" in Promise)) Object.assign(Promise, { withResolvers });

/** The upload-deadline definition (state-machine/upload-deadline.asl.json) with its table's local name. */
export function localUploadDeadlineDefinition(jobsTable: string): unknown {
  return JSON.parse(readFileSync(UPLOAD_DEADLINE_ASL_PATH, "utf8").replace(/\$\{JobsTableName\}/g, jobsTable));
}

/** Placeholders get local names; the Task states are answered by state name, not by ARN. */
export function localDefinition(jobsTable: string): unknown {
  const text = readFileSync(ASL_PATH, "utf8").replace(/\$\{(\w+)\}/g, (_, name: string) => {
    if (name === "JobsTableName") return jobsTable;
    if (name === "ComprehendDataAccessRoleArn") return COMPREHEND_DATA_ACCESS_ROLE_ARN;
    return `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${name.replace(/FunctionArn$/, "")}`;
  });
  return JSON.parse(text);
}

/** The stack's data-access role as the local endpoint names it (iam/principals.ts). */
export const COMPREHEND_DATA_ACCESS_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT}:role/comprehend-data-access`;

/** Tries of a service integration's call that gets no answer at all (see `service` below). */
const TRANSPORT_ATTEMPTS = 3;

export interface LocalRunnerOptions {
  /** Each Lambda's deps, its clients signed as its own role. */
  depsFor: (fn: LambdaName) => BatchDeps;
  endpoint: LocalEndpoint;
  /** Retry waits (ms) instead of the ASL's seconds: tests pass a few ms; dev keeps the real ones. */
  retryIntervalMs?: number;
  /** Wait states' pause (ms) instead of the ASL's seconds: tests; dev keeps the real ones. */
  waitMs?: number;
  /** Step Functions' quotas (default: AWS's); tests lower them to trip them with small jobs. */
  limits?: ExecutionLimitOptions;
  log?: (line: string) => void;
  /** Where the executions in flight are kept across restarts (the local data folder); none: not kept. */
  journalFile?: string;
}

/** An execution as DescribeExecution answers it (dates in epoch seconds, as the JSON protocol sends them). */
export interface ExecutionDescription {
  executionArn: string;
  status: string;
  startDate: number;
  stopDate?: number;
}

/** An execution in flight, as the journal keeps it. */
interface JournalEntry {
  kind: "batch" | "deadline";
  name: string;
  input: string;
}

/** How the last executions ended, for tests and benches. */
export interface ExecutionRecord {
  status: "SUCCEEDED" | "FAILED";
  historyEvents: number;
  /** The largest state input or output of the execution, in bytes. */
  largestPayloadBytes: number;
  error?: string;
}

export class LocalStepFunctions {
  private readonly running = new Set<Promise<unknown>>();
  // Service integrations make one call per attempt; the state's Retry does the retrying.
  private readonly dynamo: DynamoDBClient;
  private readonly comprehend: ComprehendClient;
  /** The Map Runs' reads of their items and writes of their results. */
  private readonly s3: S3Client;

  constructor(private readonly options: LocalRunnerOptions) {
    const { endpoint } = options;
    // Signed as the state machine's role, as AWS makes its service integrations' calls.
    const common = { endpoint: endpoint.url, region: endpoint.region, credentials: localCredentials("state-machine"), maxAttempts: 1 };
    this.dynamo = new DynamoDBClient(common);
    this.comprehend = new ComprehendClient(common);
    this.s3 = new S3Client({ ...common, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED" });
  }

  /** The EventBridge rule's job: objects under uploads/ of the jobs bucket start an execution. */
  onObjectCreated = (event: { bucket: string; key: string }): void => {
    if (event.bucket !== this.options.depsFor("prepare").bucket || !event.key.startsWith(S3_PREFIXES.uploads)) return;
    void this.start({ "detail-type": "Object Created", source: "aws.s3", detail: { bucket: { name: event.bucket }, object: { key: event.key } } });
  };

  /** The batch executions of this runner by ARN, as DescribeExecution tells them (the newest 10,000). */
  private readonly described = new Map<string, ExecutionDescription>();

  /** DescribeExecution, as Step Functions answers it: a batch or upload-deadline execution this runner started. */
  describeExecution = (request: { executionArn: string }): ExecutionDescription => {
    const batch = this.described.get(request.executionArn);
    if (batch) return batch;
    const deadline = [...this.deadlines.values()].find((d) => d.executionArn === request.executionArn);
    if (deadline) return { executionArn: deadline.executionArn, status: "RUNNING", startDate: deadline.startDate };
    throw new AwsError(400, "ExecutionDoesNotExist", `Execution Does Not Exist: '${request.executionArn}'`);
  };

  /**
   * The executions in flight, kept in `journalFile` (when given) so a restarted runner takes them
   * up again (resume) instead of leaving their jobs open: the batch ones and the deadlines.
   */
  private readonly journal = new Map<string, JournalEntry>();
  private closing = false;

  private record(entry: JournalEntry | undefined, name: string): void {
    if (this.closing || !this.options.journalFile) return;
    if (entry) this.journal.set(name, entry);
    else this.journal.delete(name);
    writeStateFile(this.options.journalFile, [...this.journal.values()]);
  }

  /**
   * Starts again, under their own names, the executions a previous process left in flight: a
   * batch execution from its start (as a retried execution would, its job re-claimed by the same
   * execution id), a deadline to wait out what is left of its wait. Returns how many.
   */
  resume(): number {
    const file = this.options.journalFile;
    const entries = (file && readStateFile<JournalEntry[]>(file)) || [];
    for (const entry of entries) {
      if (entry.kind === "batch") void this.start(JSON.parse(entry.input), entry.name);
      else this.startExecution({ stateMachineArn: this.uploadDeadlineArn(), name: entry.name, input: entry.input });
    }
    if (entries.length) this.options.log?.(`[step-functions] resumed ${entries.length} execution(s) left in flight`);
    return entries.length;
  }

  /** Starts an execution; it counts as running from this call on. */
  start(input: unknown, name: string = crypto.randomUUID()): Promise<unknown> {
    this.started++;
    this.record({ kind: "batch", name, input: JSON.stringify(input) }, name);
    const executionArn = `arn:aws:states:${this.options.endpoint.region}:${LOCAL_ACCOUNT}:execution:${BATCH_STATE_MACHINE_NAME}:${name}`;
    const record: ExecutionDescription = { executionArn, status: "RUNNING", startDate: Date.now() / 1000 };
    this.described.set(executionArn, record);
    if (this.described.size > 10_000) this.described.delete(this.described.keys().next().value!);
    const done = this.execute(input, name).then(
      (output) => {
        record.status = output && typeof output === "object" && "error" in output ? "FAILED" : "SUCCEEDED";
        record.stopDate = Date.now() / 1000;
        this.record(undefined, name);
        return output;
      },
    );
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return done;
  }

  readonly executions: ExecutionRecord[] = [];
  /** The Distributed Maps' child executions, as they ended. */
  readonly children: ExecutionRecord[] = [];

  private async execute(input: unknown, name: string): Promise<unknown> {
    const { definition, maps } = withLocalDistributedMaps(localDefinition(this.options.depsFor("prepare").table) as never);
    const outcome = await this.run(definition, maps, input, true, name);
    this.executions.push({ status: outcome.status, historyEvents: outcome.historyEvents, largestPayloadBytes: outcome.largestPayloadBytes, error: outcome.error });
    this.children.push(...outcome.children);
    if (outcome.status === "SUCCEEDED") {
      this.options.log?.(`[step-functions] execution succeeded`);
      return outcome.output;
    }
    this.options.log?.(`[step-functions] execution failed: ${outcome.error}`);
    await this.executionFailed(input, { Error: outcome.error!, Cause: outcome.cause ?? "" });
    return { error: outcome.error };
  }

  /**
   * One execution of a definition (the state machine, or a Distributed Map's child), its Task
   * states answered in process and held to Step Functions' quotas: payloads always, the history
   * for Standard executions (Express ones keep none).
   */
  private async run(
    definition: unknown,
    maps: Map<string, DistributedMapSpec>,
    input: unknown,
    countHistory: boolean,
    name: string = crypto.randomUUID(),
  ): Promise<ChildOutcome & { historyEvents: number; largestPayloadBytes: number; children: ExecutionRecord[] }> {
    const children: ExecutionRecord[] = [];
    const machine = await this.machineOf(definition);
    const names = stateNames(definition);
    const ms = this.options.retryIntervalMs;
    let abort = () => {};
    const limits = new ExecutionLimits(countHistory ? this.options.limits : { ...this.options.limits, historyEvents: Number.MAX_SAFE_INTEGER }, () => abort());
    const execution = machine.run(input as never, {
      // The context object's execution, as AWS gives it ($$.Execution.Id: prepare's claim).
      context: { Execution: { Id: `arn:aws:states:${this.options.endpoint.region}:${LOCAL_ACCOUNT}:execution:${BATCH_STATE_MACHINE_NAME}:${name}`, Name: name, Input: input } } as never,
      overrides: {
        taskResourceLocalHandlers: { ...this.handlers(limits), ...this.mapHandlers(maps, limits, children) } as never,
        ...(ms === undefined ? {} : { retryIntervalOverrides: Object.fromEntries(names.map((n) => [n, ms])) }),
        ...(this.options.waitMs === undefined ? {} : { waitTimeOverrides: Object.fromEntries(names.map((n) => [n, this.options.waitMs!])) }),
      },
      noThrowOnAbort: true,
    });
    abort = execution.abort;
    const counted = (async () => {
      for await (const event of execution.eventLogs) if (!limits.count(event as never)) break;
    })();

    let failure: LimitBreach | { Error: string; Cause: string } | undefined;
    let output: unknown;
    try {
      output = await execution.result;
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause ?? (err as Error);
      failure = { Error: cause.name, Cause: cause.message };
    }
    await counted.catch(() => {});
    failure = limits.breach ?? failure;
    const counts = { historyEvents: limits.events, largestPayloadBytes: limits.largestPayload, children };
    if (failure) return { status: "FAILED", error: failure.Error, cause: failure.Cause, ...counts };
    return { status: "SUCCEEDED", output, ...counts };
  }

  /** One runner per definition: validating it costs more than a small child execution. */
  private readonly machines = new WeakMap<object, Promise<import("aws-local-stepfunctions").StateMachine>>();
  private machineOf(definition: unknown) {
    let machine = this.machines.get(definition as object);
    if (!machine) {
      machine = import("aws-local-stepfunctions").then(({ StateMachine }) => new StateMachine(definition as never, { validationOptions: { checkArn: false } as never }));
      this.machines.set(definition as object, machine);
    }
    return machine;
  }

  /** Each Distributed Map state: its Map Run, children run as executions of their own. */
  private mapHandlers(maps: Map<string, DistributedMapSpec>, limits: ExecutionLimits, children: ExecutionRecord[]) {
    return Object.fromEntries(
      [...maps].map(([name, spec]) => [
        name,
        async (params: MapRunParameters) => {
          if (!limits.checkPayload(name, "input", params)) return new Promise<never>(() => {});
          const runChild = async (item: unknown) => {
            const outcome = await this.run(spec.processor, new Map(), item, spec.executionType === "STANDARD");
            children.push({ status: outcome.status, historyEvents: outcome.historyEvents, largestPayloadBytes: outcome.largestPayloadBytes, error: outcome.error });
            if (outcome.status === "FAILED") this.options.log?.(`[step-functions] ${name} child failed: ${outcome.error}: ${(outcome.cause ?? "").slice(0, 300)}`);
            return outcome;
          };
          return runDistributedMap(spec, params, this.s3, runChild);
        },
      ]),
    );
  }

  /** The stack's rule on "Step Functions Execution Status Change" (FAILED): the event, to mark-failed. */
  private async executionFailed(input: unknown, failure: { Error: string; Cause: string }): Promise<void> {
    const event: ExecutionStatusChange & { source: string } = {
      "detail-type": "Step Functions Execution Status Change",
      source: "aws.states",
      detail: { status: "FAILED", input: JSON.stringify(input), error: failure.Error, cause: failure.Cause },
    };
    await markFailed(this.options.depsFor("mark-failed"), event).catch((err: Error) =>
      console.error(JSON.stringify({ level: "error", event: "execution_failure_not_recorded", error: err.name })),
    );
  }

  /** Upload-deadline executions by name: Step Functions answers a repeated name and input with the same one. */
  private readonly deadlines = new Map<string, { input: string; executionArn: string; startDate: number; abort: () => void }>();

  /**
   * StartExecution, as Step Functions answers it, for the stack's upload-deadline state machine:
   * the execution waits (really) until its input's deadline, then runs its DynamoDB update
   * signed as its own role. Not counted in `idle()`: it may wait for hours.
   */
  startExecution = (request: { stateMachineArn: string; name?: string; input?: string }): { executionArn: string; startDate: number } => {
    const { region } = this.options.endpoint;
    const arn = this.uploadDeadlineArn();
    if (request.stateMachineArn !== arn) throw new AwsError(400, "StateMachineDoesNotExist", `State Machine Does Not Exist: '${request.stateMachineArn}'`);
    const name = request.name ?? crypto.randomUUID();
    const input = request.input ?? "{}";
    const known = this.deadlines.get(name);
    if (known) {
      if (known.input !== input) throw new AwsError(400, "ExecutionAlreadyExists", `Execution Already Exists: '${known.executionArn}'`);
      return { executionArn: known.executionArn, startDate: known.startDate };
    }
    const executionArn = `arn:aws:states:${region}:${LOCAL_ACCOUNT}:execution:${UPLOAD_DEADLINE_STATE_MACHINE_NAME}:${name}`;
    const entry = { input, executionArn, startDate: Date.now() / 1000, abort: () => {} };
    this.deadlines.set(name, entry);
    this.record({ kind: "deadline", name, input }, name);
    void this.runUploadDeadline(JSON.parse(input) as unknown, entry).then(() => this.record(undefined, name));
    return { executionArn, startDate: entry.startDate };
  };

  private uploadDeadlineMachine: import("aws-local-stepfunctions").StateMachine | undefined;
  private uploadDeadlineDynamo: DynamoDBClient | undefined;

  private async runUploadDeadline(input: unknown, entry: { executionArn: string; abort: () => void }): Promise<void> {
    const { StateMachine } = await import("aws-local-stepfunctions");
    const dynamo = (this.uploadDeadlineDynamo ??= new DynamoDBClient({ endpoint: this.options.endpoint.url, region: this.options.endpoint.region, credentials: localCredentials("upload-deadline"), maxAttempts: 1 }));
    // One machine for every deadline: validating the definition costs more than running it.
    const machine = (this.uploadDeadlineMachine ??= new StateMachine(localUploadDeadlineDefinition(this.options.depsFor("prepare").table) as never, { validationOptions: { checkArn: false } as never }));
    const execution = machine.run(input as never, {
      // The context object's execution, as AWS gives it.
      context: { Execution: { Id: entry.executionArn, Name: entry.executionArn.split(":").pop(), Input: input } } as never,
      overrides: {
        taskResourceLocalHandlers: {
          ExpireUnlessUploaded: async (params: UpdateItemCommandInput) => {
            try {
              const { $metadata: _metadata, ...out } = await dynamo.send(new UpdateItemCommand(params));
              return out;
            } catch (err) {
              throw named(`DynamoDB.${(err as Error).name}`, (err as Error).message);
            }
          },
        } as never,
        ...(this.options.retryIntervalMs === undefined ? {} : { retryIntervalOverrides: { ExpireUnlessUploaded: this.options.retryIntervalMs } }),
      },
      noThrowOnAbort: true,
    });
    entry.abort = execution.abort;
    try {
      await execution.result;
      this.options.log?.("[step-functions] upload deadline passed");
    } catch (err) {
      this.options.log?.(`[step-functions] upload deadline failed: ${(err as Error).name} ${((err as Error & { cause?: Error }).cause ?? (err as Error)).name}: ${((err as Error & { cause?: Error }).cause ?? (err as Error)).message}`);
    }
  }

  private uploadDeadlineArn(): string {
    return `arn:aws:states:${this.options.endpoint.region}:${LOCAL_ACCOUNT}:stateMachine:${UPLOAD_DEADLINE_STATE_MACHINE_NAME}`;
  }

  /** Stops the executions still waiting (the endpoint is closing); the journal keeps them for the next start. */
  stopWaiting(): void {
    this.closing = true;
    for (const entry of this.deadlines.values()) entry.abort();
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

  private handlers(limits: ExecutionLimits) {
    const { depsFor } = this.options;
    // A breach aborts the execution; the state never returns.
    const never = () => new Promise<never>(() => {});
    const lambda =
      <I, O>(name: LambdaName, fn: (deps: BatchDeps, input: I) => Promise<O>) =>
      async (input: { Payload: I }) => {
        if (!limits.checkPayload(name, "input", input)) return never();
        let result;
        try {
          // As the exported handler runs it (lambdaHandler): its failure classified.
          result = { StatusCode: 200, Payload: await runClassified(() => fn(depsFor(name), input.Payload)) };
        } catch (err) {
          // As Lambda reports a function error: Error = errorType, Cause = JSON with errorMessage.
          throw named((err as Error).name, JSON.stringify({ errorType: (err as Error).name, errorMessage: (err as Error).message }));
        }
        return limits.checkPayload(name, "output", result) ? result : never();
      };
    const service =
      <I>(prefix: string, call: (input: I) => Promise<unknown>) =>
      async (input: I) => {
        if (!limits.checkPayload(prefix, "input", input)) return never();
        let output: Record<string, unknown> | undefined;
        for (let attempt = 1; !output; attempt++) {
          try {
            const { $metadata: _metadata, ...rest } = (await call(input)) as Record<string, unknown>;
            output = rest;
          } catch (err) {
            // A call that got no answer (a dropped connection, a timeout) is retried here, as
            // AWS's own service makes its call; an AWS error is the state's Retry's to handle.
            const noAnswer = isTransient(err) && (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === undefined;
            if (!noAnswer || attempt === TRANSPORT_ATTEMPTS) throw named(`${prefix}.${(err as Error).name}`, (err as Error).message);
            await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt * Math.random()));
          }
        }
        return limits.checkPayload(prefix, "output", output) ? output : never();
      };
    return {
      PlanUpload: lambda("plan-upload", planUpload),
      PreparePart: lambda("prepare", prepare),
      SavePartFailure: lambda("prepare", prepare),
      CollectParts: lambda("collect-parts", collectParts),
      LoadBatch: lambda("load-batch", loadBatch),
      SaveBatch: lambda("save-batch", saveBatch),
      SaveFailedBatch: lambda("save-batch", saveBatch),
      AggregatePart: lambda("aggregate-part", aggregatePart),
      Aggregate: lambda("aggregate", aggregate),
      Webhook: lambda("webhook", deliverWebhook),
      MarkFailed: lambda("mark-failed", markFailed),
      DetectSentiment: service("Comprehend", (input: BatchDetectSentimentCommandInput) => this.comprehend.send(new BatchDetectSentimentCommand(input))),
      StartSentimentJob: service("Comprehend", (input: StartSentimentDetectionJobCommandInput) => this.comprehend.send(new StartSentimentDetectionJobCommand(input))),
      DescribeSentimentJob: service("Comprehend", async (input: DescribeSentimentDetectionJobCommandInput) =>
        // Dates as the JSON Step Functions passes on (the SDK hands back Date objects).
        JSON.parse(JSON.stringify(await this.comprehend.send(new DescribeSentimentDetectionJobCommand(input)))),
      ),
      MarkProcessing: service("DynamoDB", (input: UpdateItemCommandInput) => this.dynamo.send(new UpdateItemCommand(input))),
      CountSentimentJob: service("DynamoDB", (input: UpdateItemCommandInput) => this.dynamo.send(new UpdateItemCommand(input))),
    };
  }
}

/** Every state's name, the Map children's too (for the tests' short waits and retries). */
function stateNames(definition: unknown): string[] {
  const names: string[] = [];
  const visit = (d: { States?: Record<string, { ItemProcessor?: unknown; Iterator?: unknown }> }) => {
    for (const [name, state] of Object.entries(d.States ?? {})) {
      names.push(name);
      if (state.ItemProcessor) visit(state.ItemProcessor as never);
    }
  };
  visit(definition as never);
  return names;
}
