/**
 * The batch job: its Lambdas (bundled by local esbuild: Node 22, arm64), the state machine
 * loaded from state-machine/batch-job.asl.json (the file the local runner also runs) and the
 * EventBridge rule that starts it when a payload lands under uploads/.
 */
import { ArnFormat, Duration, Stack } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { JOBS_STATUS_INDEX, S3_PREFIXES } from "../../shared/jobs.ts";
import { ASL_PATH, BATCH_STATE_MACHINE_NAME } from "./batch-pipeline-paths.ts";

export { ASL_PATH };
const LAMBDAS = fileURLToPath(new URL("../lambdas/", import.meta.url));

export const LAMBDA_NAMES = ["plan-upload", "prepare", "collect-parts", "load-batch", "save-batch", "aggregate-part", "aggregate", "webhook", "mark-failed", "sweep-stale-jobs"] as const;
export type LambdaName = (typeof LAMBDA_NAMES)[number];

/**
 * From bench:batch: live heap flat from 100,000 to 3,000,000 rows, prepare (one part) +25 MiB at
 * most and aggregate-part +2 MiB, on a ~70 MiB Node baseline; 512 MB leaves several times that.
 */
export const LAMBDA_MEMORY_MB: Record<LambdaName, number> = {
  // Little memory, but Lambda's CPU comes with it: its row scan runs 105-144 MiB/s on one core
  // here (npm run bench:batch), so a third of a vCPU scans a 5 GB upload in a few minutes.
  "plan-upload": 512,
  prepare: 512,
  "collect-parts": 256,
  "load-batch": 256,
  "save-batch": 256,
  // A part's answers in memory (a million rows' documents at most) and its rows streamed.
  "aggregate-part": 512,
  // Merges summaries and joins the parts' results inside S3: at most one 5 MiB part in memory.
  aggregate: 256,
  webhook: 256,
  "mark-failed": 256,
  "sweep-stale-jobs": 256,
};

/** How often the stale-job sweeper runs (its bounds are in lambdas/sweep-stale-jobs.ts). */
export const SWEEP_INTERVAL = Duration.minutes(15);

export interface BatchPipelineProps {
  bucket: s3.IBucket;
  table: dynamodb.ITable;
  deadLetterQueue: sqs.IQueue;
  /** Batches analysed at once per job (the Map's MaxConcurrency). */
  maxConcurrency: number;
  /** Lambda defaults (lambdas/deps.ts) when unset. */
  asyncJobMinBytes?: number;
  maxFailedRowShare?: number;
}

export class BatchPipeline extends Construct {
  readonly functions: Record<LambdaName, NodejsFunction>;
  readonly stateMachine: sfn.StateMachine;
  readonly rule: events.Rule;
  readonly executionFailedRule: events.Rule;
  readonly sweepRule: events.Rule;
  readonly webhookSecret: secretsmanager.Secret;
  readonly comprehendDataAccessRole: iam.Role;

  constructor(scope: Construct, id: string, props: BatchPipelineProps) {
    super(scope, id);
    const { bucket, table } = props;
    this.webhookSecret = new secretsmanager.Secret(this, "WebhookSigningSecret", {
      description: "HMAC-SHA256 key for X-AuraStream-Signature on job webhooks",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    const environment = {
      JOBS_BUCKET: bucket.bucketName,
      JOBS_TABLE: table.tableName,
      MAX_CONCURRENCY: String(props.maxConcurrency),
      ...(props.asyncJobMinBytes === undefined ? {} : { ASYNC_JOB_MIN_BYTES: String(props.asyncJobMinBytes) }),
      ...(props.maxFailedRowShare === undefined ? {} : { MAX_FAILED_ROW_SHARE: String(props.maxFailedRowShare) }),
      WEBHOOK_SECRET_ARN: this.webhookSecret.secretArn,
      NODE_OPTIONS: "--enable-source-maps",
    };
    const make = (name: LambdaName, timeout: Duration) =>
      new NodejsFunction(this, `${pascal(name)}Function`, {
        entry: `${LAMBDAS}${name}.ts`,
        handler: "handler",
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: LAMBDA_MEMORY_MB[name],
        timeout,
        environment,
        tracing: lambda.Tracing.ACTIVE,
        logRetention: logs.RetentionDays.ONE_MONTH,
        bundling: { minify: true, sourceMap: true, target: "node22" },
      });
    this.functions = {
      // Reading a 5 GB upload once to find where rows end takes a few minutes.
      "plan-upload": make("plan-upload", Duration.minutes(15)),
      // A part (at most a million rows, 128 MiB) takes minutes; 15 is Lambda's most.
      prepare: make("prepare", Duration.minutes(15)),
      "collect-parts": make("collect-parts", Duration.minutes(5)),
      "load-batch": make("load-batch", Duration.seconds(30)),
      "save-batch": make("save-batch", Duration.seconds(30)),
      // A part's million rows joined to their answers (~38,000 rows/s a core here: npm run bench:batch).
      "aggregate-part": make("aggregate-part", Duration.minutes(15)),
      // S3 copies the parts' results server-side, 8 parts at once: seconds for a few parts; a
      // 5 GB upload's (tens of GB of results) may take minutes.
      aggregate: make("aggregate", Duration.minutes(15)),
      webhook: make("webhook", Duration.seconds(30)),
      "mark-failed": make("mark-failed", Duration.minutes(1)),
      "sweep-stale-jobs": make("sweep-stale-jobs", Duration.minutes(5)),
    };

    // Narrow grants: each function gets the prefixes and calls it uses.
    const f = this.functions;
    bucket.grantRead(f["plan-upload"], `${S3_PREFIXES.uploads}*`);
    bucket.grantPut(f["plan-upload"], `${S3_PREFIXES.processed}*`);
    bucket.grantRead(f.prepare, `${S3_PREFIXES.uploads}*`);
    bucket.grantPut(f.prepare, `${S3_PREFIXES.processed}*`);
    bucket.grantRead(f["collect-parts"], `${S3_PREFIXES.processed}*`);
    bucket.grantPut(f["collect-parts"], `${S3_PREFIXES.processed}*`);
    bucket.grantRead(f["load-batch"], `${S3_PREFIXES.processed}*`);
    bucket.grantPut(f["save-batch"], `${S3_PREFIXES.processed}*`);
    bucket.grantRead(f["aggregate-part"], `${S3_PREFIXES.processed}*`);
    bucket.grantPut(f["aggregate-part"], `${S3_PREFIXES.processed}*`);
    bucket.grantRead(f.aggregate, `${S3_PREFIXES.processed}*`);
    bucket.grantPut(f.aggregate, `${S3_PREFIXES.processed}*`);
    bucket.grantRead(f["mark-failed"], `${S3_PREFIXES.uploads}*`);
    bucket.grantPut(f["mark-failed"], `${S3_PREFIXES.failed}*`);
    for (const fn of [f["plan-upload"], f.prepare, f["save-batch"], f["aggregate-part"], f.aggregate, f.webhook, f["mark-failed"]]) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [table.tableArn] }));
    }
    // The collection only reads the job.
    f["collect-parts"].addToRolePolicy(new iam.PolicyStatement({ actions: ["dynamodb:GetItem"], resources: [table.tableArn] }));
    this.webhookSecret.grantRead(f.webhook);
    // The sweeper reads the status index, checks a payload's presence and an execution's state, ends a job.
    const sweeper = f["sweep-stale-jobs"];
    sweeper.addToRolePolicy(new iam.PolicyStatement({ actions: ["dynamodb:Query"], resources: [`${table.tableArn}/index/${JOBS_STATUS_INDEX.name}`] }));
    sweeper.addToRolePolicy(new iam.PolicyStatement({ actions: ["dynamodb:UpdateItem"], resources: [table.tableArn] }));
    sweeper.addToRolePolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: [bucket.arnForObjects(`${S3_PREFIXES.uploads}*`)] }));
    // Without it S3 answers a missing payload 403, not 404: the sweeper could not tell it is missing.
    sweeper.addToRolePolicy(new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [bucket.bucketArn] }));

    // Comprehend's asynchronous jobs read their input and write their output as this role, and
    // only under the work folders of jobs (processed/<job_id>/work/comprehend/).
    this.comprehendDataAccessRole = new iam.Role(this, "ComprehendDataAccessRole", {
      description: "Comprehend sentiment jobs: read a job's input part files, write its output",
      assumedBy: new iam.ServicePrincipal("comprehend.amazonaws.com", { conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } } }),
    });
    bucket.grantRead(this.comprehendDataAccessRole, `${S3_PREFIXES.processed}*/work/comprehend/input/*`);
    bucket.grantPut(this.comprehendDataAccessRole, `${S3_PREFIXES.processed}*/work/comprehend/output/*`);

    const logGroup = new logs.LogGroup(this, "StateMachineLogs", { retention: logs.RetentionDays.ONE_MONTH });
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      // Named, so its role can be allowed to start its own Distributed Map children.
      stateMachineName: BATCH_STATE_MACHINE_NAME,
      stateMachineType: sfn.StateMachineType.STANDARD,
      // Inline, as the file's exact text: what is deployed is what the local runner loads.
      definitionBody: sfn.DefinitionBody.fromString(readFileSync(ASL_PATH, "utf8")),
      definitionSubstitutions: {
        PlanUploadFunctionArn: f["plan-upload"].functionArn,
        PrepareFunctionArn: f.prepare.functionArn,
        CollectPartsFunctionArn: f["collect-parts"].functionArn,
        LoadBatchFunctionArn: f["load-batch"].functionArn,
        SaveBatchFunctionArn: f["save-batch"].functionArn,
        AggregatePartFunctionArn: f["aggregate-part"].functionArn,
        AggregateFunctionArn: f.aggregate.functionArn,
        WebhookFunctionArn: f.webhook.functionArn,
        MarkFailedFunctionArn: f["mark-failed"].functionArn,
        JobsTableName: table.tableName,
        ComprehendDataAccessRoleArn: this.comprehendDataAccessRole.roleArn,
      },
      logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
      tracingEnabled: true,
      timeout: Duration.hours(6),
    });
    for (const [name, fn] of Object.entries(f)) if (name !== "sweep-stale-jobs") fn.grantInvoke(this.stateMachine);
    const sm = this.stateMachine;
    sm.addToRolePolicy(new iam.PolicyStatement({ actions: ["comprehend:BatchDetectSentiment", "comprehend:StartSentimentDetectionJob", "comprehend:DescribeSentimentDetectionJob"], resources: ["*"] }));
    sm.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["iam:PassRole"], resources: [this.comprehendDataAccessRole.roleArn], conditions: { StringEquals: { "iam:PassedToService": "comprehend.amazonaws.com" } } }),
    );
    // The Distributed Maps: read their items (the parts, the batch files, the Comprehend jobs, the parts to join), write the Map Runs' results, run child executions.
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["s3:GetObject"],
        resources: ["parts.json", "batches.json", "comprehend-jobs.json", "aggregate-parts.json"].map((name) => bucket.arnForObjects(`${S3_PREFIXES.processed}*/work/${name}`)),
      }),
    );
    sm.addToRolePolicy(new iam.PolicyStatement({ actions: ["s3:PutObject"], resources: [bucket.arnForObjects(`${S3_PREFIXES.processed}*/work/map-runs/*`)] }));
    const stack = Stack.of(this);
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["states:StartExecution"],
        resources: [stack.formatArn({ service: "states", resource: "stateMachine", resourceName: BATCH_STATE_MACHINE_NAME, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    sm.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["states:DescribeExecution", "states:StopExecution"],
        resources: [stack.formatArn({ service: "states", resource: "execution", resourceName: `${BATCH_STATE_MACHINE_NAME}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ["dynamodb:UpdateItem"], resources: [table.tableArn] }));
    sweeper.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["states:DescribeExecution"],
        resources: [stack.formatArn({ service: "states", resource: "execution", resourceName: `${BATCH_STATE_MACHINE_NAME}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );

    // The backstop: any job left open past its bound (a lost event, a lost execution) ends FAILED.
    this.sweepRule = new events.Rule(this, "SweepStaleJobs", {
      description: "Ends FAILED, with a code, jobs whose execution is gone or that waited past their bound",
      schedule: events.Schedule.rate(SWEEP_INTERVAL),
      targets: [new targets.LambdaFunction(sweeper, { retryAttempts: 2, maxEventAge: SWEEP_INTERVAL })],
    });

    // An execution that fails past its Catch (a terminal error such as States.DataLimitExceeded,
    // the history quota, a timeout, mark-failed's own retries spent) still ends its job FAILED.
    this.executionFailedRule = new events.Rule(this, "ExecutionFailed", {
      description: "A failed, timed-out or aborted execution ends its job FAILED",
      eventPattern: {
        source: ["aws.states"],
        detailType: ["Step Functions Execution Status Change"],
        detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [new targets.LambdaFunction(f["mark-failed"], { deadLetterQueue: props.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });

    this.rule = new events.Rule(this, "UploadCreated", {
      description: "A payload under uploads/ starts its job",
      eventPattern: {
        source: ["aws.s3"],
        detailType: ["Object Created"],
        detail: { bucket: { name: [bucket.bucketName] }, object: { key: [{ prefix: S3_PREFIXES.uploads }] } },
      },
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
}
