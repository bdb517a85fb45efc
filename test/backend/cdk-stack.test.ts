/**
 * The CDK stack, synthesised offline (Lambdas bundled by local esbuild): every property the
 * batch issue names, the Worker's policy action by action, and the state machine deployed
 * byte-for-byte from the ASL file the local runner loads.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import aslValidator from "asl-validator";
import { AuraStreamStack } from "../../aws-backend/lib/aurastream-stack.ts";
import { ASL_PATH, LAMBDA_NAMES } from "../../aws-backend/lib/batch-pipeline.ts";
import { UPLOAD_DEADLINE_ASL_PATH, UPLOAD_DEADLINE_STATE_MACHINE_NAME } from "../../aws-backend/lib/batch-pipeline-paths.ts";

let template: Template;
beforeAll(() => {
  // builtinCloudFormationValidation off: otherwise fromStack takes ~10 s.
  const app = new App({ builtinCloudFormationValidation: false } as ConstructorParameters<typeof App>[0]);
  template = Template.fromStack(new AuraStreamStack(app, "Test", { maxConcurrency: 7 }));
}, 120_000);

const resourcesOf = (type: string) => Object.values(template.findResources(type)) as { Properties: Record<string, any> }[];

describe("jobs bucket", () => {
  it("is encrypted, private, TLS-only, sends EventBridge events, and expires uploads in 7 days, results in 30", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Prefix: "uploads/", ExpirationInDays: 7, Status: "Enabled" }),
          Match.objectLike({ Prefix: "processed/", ExpirationInDays: 30, Status: "Enabled" }),
          Match.objectLike({ Prefix: "failed/", ExpirationInDays: 30, Status: "Enabled" }),
        ],
      },
    });
    template.hasResourceProperties("Custom::S3BucketNotifications", { NotificationConfiguration: { EventBridgeConfiguration: {} } });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("lets browsers PUT to presigned upload URLs (CORS: PUT only, content-type, ETag exposed)", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      CorsConfiguration: {
        CorsRules: [{ Id: "presigned-uploads", AllowedMethods: ["PUT"], AllowedOrigins: ["*"], AllowedHeaders: ["content-type"], ExposedHeaders: ["ETag"], MaxAge: 3000 }],
      },
    });
  });
});

describe("jobs table and dead-letter queue", () => {
  it("is on demand with point-in-time recovery, a TTL attribute and encryption", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: "expires_at", Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it("keeps dead letters 14 days, encrypted, TLS only", () => {
    template.hasResourceProperties("AWS::SQS::Queue", { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]) },
    });
  });
});

describe("state machine and Lambdas", () => {
  it("deploys the ASL file byte for byte, with substitutions, STANDARD, logged and traced", () => {
    const machine = resourcesOf("AWS::StepFunctions::StateMachine").find((m) => m.Properties.DefinitionSubstitutions.PrepareFunctionArn);
    expect(machine!.Properties.DefinitionString).toBe(readFileSync(ASL_PATH, "utf8"));
    expect(Object.keys(machine!.Properties.DefinitionSubstitutions).sort()).toEqual(
      [
        "AggregateFunctionArn",
        "AggregatePartFunctionArn",
        "CollectPartsFunctionArn",
        "ComprehendDataAccessRoleArn",
        "JobsTableName",
        "LoadBatchFunctionArn",
        "MarkFailedFunctionArn",
        "PlanUploadFunctionArn",
        "PrepareFunctionArn",
        "SaveBatchFunctionArn",
        "WebhookFunctionArn",
      ],
    );
    expect(machine!.Properties).toMatchObject({ StateMachineType: "STANDARD", TracingConfiguration: { Enabled: true } });
    expect(machine!.Properties.LoggingConfiguration.Destinations).toHaveLength(1);
  });

  it("has an ASL valid under asl-validator, retrying Comprehend throttling and catching every failure", () => {
    const definition = JSON.parse(readFileSync(ASL_PATH, "utf8"));
    expect(aslValidator(definition)).toMatchObject({ isValid: true, errors: [] });
    const detect = definition.States.AnalyzeBatches.ItemProcessor.States.DetectSentiment;
    expect(detect.Resource).toBe("arn:aws:states:::aws-sdk:comprehend:batchDetectSentiment");
    expect(detect.Retry[0].ErrorEquals).toContain("Comprehend.ThrottlingException");
    for (const name of ["PlanUpload", "CollectParts", "MarkProcessing", "AnalyzeBatches", "Aggregate"]) {
      expect(definition.States[name].Catch.at(-1)).toMatchObject({ ErrorEquals: ["States.ALL"], Next: "MarkFailed" });
    }
    // A job ended meanwhile (the stale-job sweeper) keeps its end: MarkProcessing is conditional.
    expect(definition.States.MarkProcessing.Parameters.ConditionExpression).toBe("#status IN (:pending, :processing)");
    expect(definition.States.MarkProcessing.Catch[0]).toMatchObject({ ErrorEquals: ["DynamoDB.ConditionalCheckFailedException"], Next: "JobEndedElsewhere" });
    // A part that fails past its retries fails the job with its own code, not as failed rows.
    expect(definition.States.PrepareParts.ItemProcessor.States.PreparePart.Catch[0]).toMatchObject({ ErrorEquals: ["States.ALL"], Next: "SavePartFailure" });
    expect(definition.States.PrepareParts.Catch.at(-1)).toMatchObject({ ErrorEquals: ["States.ALL"], Next: "PartsNotPrepared" });
    expect(definition.States.PartsNotPrepared).toMatchObject({ Parameters: { Error: "PreparePartFailed" }, Next: "MarkFailed" });
    // So does a part whose results cannot be written.
    expect(definition.States.AggregateParts.Catch.at(-1)).toMatchObject({ ErrorEquals: ["States.ALL"], Next: "ResultsNotJoined" });
    expect(definition.States.ResultsNotJoined).toMatchObject({ Parameters: { Error: "AggregatePartFailed" }, Next: "MarkFailed" });
  });

  it("joins the results part by part in a Distributed Map before the job's finish, so no Lambda joins more than a part's rows", () => {
    const definition = JSON.parse(readFileSync(ASL_PATH, "utf8"));
    expect(definition.States.AggregateParts).toMatchObject({
      ItemReader: { Resource: "arn:aws:states:::s3:getObject", ReaderConfig: { InputType: "JSON" }, Parameters: { "Key.$": "$.job.aggregate_parts_key" } },
      ItemProcessor: { ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" } },
      ToleratedFailurePercentage: 0,
      Next: "Aggregate",
    });
    expect(definition.States.HasComprehendJobs.Default).toBe("AggregateParts");
    expect(definition.States.AnalyzeWithComprehendJobs.Next).toBe("AggregateParts");
  });

  it("runs the batches as a Distributed Map over the batch files and the large inputs as Comprehend jobs polled by Wait states", () => {
    const definition = JSON.parse(readFileSync(ASL_PATH, "utf8"));
    expect(definition.States.AnalyzeBatches).toMatchObject({
      ItemReader: { Resource: "arn:aws:states:::s3:getObject", ReaderConfig: { InputType: "JSON" } },
      ItemProcessor: { ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "EXPRESS" } },
      ToleratedFailurePercentagePath: "$.job.tolerated_failure_percent",
      ResultWriter: { Resource: "arn:aws:states:::s3:putObject" },
    });
    const jobs = definition.States.AnalyzeWithComprehendJobs.ItemProcessor;
    expect(jobs.ProcessorConfig).toEqual({ Mode: "DISTRIBUTED", ExecutionType: "STANDARD" });
    expect(jobs.States.StartSentimentJob.Parameters).toMatchObject({ InputDataConfig: { InputFormat: "ONE_DOC_PER_LINE" }, DataAccessRoleArn: "${ComprehendDataAccessRoleArn}" });
    // The account's 10-job limit answers TooManyRequestsException: waited out, not failed.
    expect(jobs.States.StartSentimentJob.Retry[0]).toMatchObject({ ErrorEquals: expect.arrayContaining(["Comprehend.TooManyRequestsException"]), MaxAttempts: 40 });
    expect(jobs.States.WaitForSentimentJob).toMatchObject({ Type: "Wait", Next: "DescribeSentimentJob" });
    expect(definition.States.AnalyzeWithComprehendJobs.Catch[0].Next).toBe("ComprehendJobsFailed");
  });

  it("gives Comprehend a data-access role that reads job inputs and writes job outputs only, passable only to Comprehend", () => {
    const role = Object.entries(template.findResources("AWS::IAM::Role")).find(([, r]) => JSON.stringify(r).includes("comprehend.amazonaws.com"));
    expect(role).toBeDefined();
    const [roleId] = role!;
    const statements = resourcesOf("AWS::IAM::Policy")
      .filter((p) => JSON.stringify(p.Properties.Roles ?? []).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const objects = statements.flatMap((st) => [st.Resource].flat()).map((r) => JSON.stringify(r)).filter((r) => r.includes("/processed/"));
    expect(objects.every((r) => r.includes("/work/comprehend/input/") || r.includes("/work/comprehend/output/"))).toBe(true);
    expect(statements.flatMap((st) => [st.Action].flat())).not.toContain("s3:DeleteObject*");
    const passRole = resourcesOf("AWS::IAM::Policy")
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[])
      .filter((st) => [st.Action].flat().includes("iam:PassRole"));
    expect(passRole).toHaveLength(1);
    expect(passRole[0]).toMatchObject({ Resource: { "Fn::GetAtt": [roleId, "Arn"] }, Condition: { StringEquals: { "iam:PassedToService": "comprehend.amazonaws.com" } } });
  });

  it("deploys the upload-deadline machine byte for byte, named, valid, its role only updating the jobs table", () => {
    const machine = resourcesOf("AWS::StepFunctions::StateMachine").find((m) => m.Properties.StateMachineName === UPLOAD_DEADLINE_STATE_MACHINE_NAME);
    const text = readFileSync(UPLOAD_DEADLINE_ASL_PATH, "utf8");
    expect(machine!.Properties.DefinitionString).toBe(text);
    expect(Object.keys(machine!.Properties.DefinitionSubstitutions)).toEqual(["JobsTableName"]);
    const definition = JSON.parse(text);
    expect(aslValidator(definition)).toMatchObject({ isValid: true, errors: [] });
    expect(definition.States.WaitForUpload).toMatchObject({ Type: "Wait", TimestampPath: "$.deadline" });
    expect(definition.States.ExpireUnlessUploaded.Parameters.ConditionExpression).toBe("#status = :awaiting");
    const statements = resourcesOf("AWS::IAM::Policy")
      .filter((p) => JSON.stringify(p.Properties.Roles ?? []).includes("UploadDeadline"))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]);
    const actions = statements.flatMap((st) => [st.Action].flat());
    // The table update, and only the log-delivery calls Step Functions' logging needs.
    expect(actions).toContain("dynamodb:UpdateItem");
    expect(actions.filter((a) => !a.startsWith("logs:"))).toEqual(["dynamodb:UpdateItem"]);
  });

  it("retries every Lambda task's transient failures (TransientError) with backoff, and gives plan-upload its execution's id", () => {
    const definition = JSON.parse(readFileSync(ASL_PATH, "utf8"));
    const tasks: [string, { Resource?: string; Retry?: { ErrorEquals: string[]; MaxAttempts: number; JitterStrategy?: string }[] }][] = [];
    const visit = (states: Record<string, any>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.ItemProcessor) visit(state.ItemProcessor.States);
        if (state.Resource === "arn:aws:states:::lambda:invoke") tasks.push([name, state]);
      }
    };
    visit(definition.States);
    expect(tasks.map(([name]) => name).sort()).toEqual(["Aggregate", "AggregatePart", "CollectParts", "LoadBatch", "MarkFailed", "PlanUpload", "PreparePart", "SaveBatch", "SaveFailedBatch", "SavePartFailure", "Webhook"]);
    for (const [name, task] of tasks) {
      const retry = task.Retry?.find((r) => r.ErrorEquals.includes("TransientError") || r.ErrorEquals.includes("States.ALL"));
      expect(retry, name).toMatchObject({ JitterStrategy: "FULL" });
      expect(retry!.MaxAttempts, name).toBeGreaterThanOrEqual(4);
    }
    expect(definition.States.PlanUpload.Parameters.Payload["execution.$"]).toBe("$$.Execution.Id");
  });

  it("retries every service integration's throttling at least ten times, with jitter, so a burst of throttling does not fail a job", () => {
    const definition = JSON.parse(readFileSync(ASL_PATH, "utf8"));
    const integrations: [string, { Resource: string; Retry?: { ErrorEquals: string[]; MaxAttempts: number; JitterStrategy?: string }[] }][] = [];
    const visit = (states: Record<string, any>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.ItemProcessor) visit(state.ItemProcessor.States);
        if (state.Type === "Task" && state.Resource !== "arn:aws:states:::lambda:invoke") integrations.push([name, state]);
      }
    };
    visit(definition.States);
    expect(integrations.map(([name]) => name).sort()).toEqual(["CountSentimentJob", "DescribeSentimentJob", "DetectSentiment", "MarkProcessing", "StartSentimentJob"]);
    for (const [name, task] of integrations) {
      const service = task.Resource.includes("dynamodb") ? "DynamoDB" : "Comprehend";
      const throttling = task.Retry?.find((r) => r.ErrorEquals.includes(`${service}.ThrottlingException`));
      expect(throttling, name).toMatchObject({ JitterStrategy: "FULL" });
      expect(throttling!.MaxAttempts, name).toBeGreaterThanOrEqual(10);
    }
  });

  it("exports a handler from each Lambda's entry file", async () => {
    for (const name of LAMBDA_NAMES) {
      const module = (await import(`../../aws-backend/lambdas/${name}.ts`)) as { handler?: unknown };
      expect(typeof module.handler, name).toBe("function");
    }
  });

  it("bundles each Lambda of the table for Node 22 on arm64, given the configured concurrency", () => {
    const functions = resourcesOf("AWS::Lambda::Function").filter((f) => f.Properties.Runtime?.startsWith("nodejs22"));
    expect(functions).toHaveLength(LAMBDA_NAMES.length);
    for (const fn of functions) {
      expect(fn.Properties.Architectures).toEqual(["arm64"]);
      expect(fn.Properties.Environment.Variables.MAX_CONCURRENCY).toBe("7");
    }
  });

  it("starts a job on Object Created under uploads/, with retries and the dead-letter queue", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: { source: ["aws.s3"], "detail-type": ["Object Created"], detail: { object: { key: [{ prefix: "uploads/" }] } } },
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() }, RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } })],
    });
  });

  it("ends a job FAILED when its execution fails past the Catch (terminal errors, timeouts): the status change goes to mark-failed", () => {
    const rules = resourcesOf("AWS::Events::Rule").filter((r) => r.Properties.EventPattern?.source?.[0] === "aws.states");
    expect(rules).toHaveLength(1);
    expect(rules[0]!.Properties.EventPattern).toMatchObject({
      "detail-type": ["Step Functions Execution Status Change"],
      detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"] },
    });
    const [target] = rules[0]!.Properties.Targets;
    expect(JSON.stringify(target.Arn)).toContain("MarkFailedFunction");
    expect(target.DeadLetterConfig).toBeDefined();
  });

  it("runs the stale-job sweeper every 15 minutes, reading only the status index, ending jobs, asking about executions", () => {
    const scheduled = resourcesOf("AWS::Events::Rule").filter((r) => r.Properties.ScheduleExpression !== undefined);
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.Properties.ScheduleExpression).toBe("rate(15 minutes)");
    expect(JSON.stringify(scheduled[0]!.Properties.Targets[0].Arn)).toContain("SweepStaleJobsFunction");
    const policy = resourcesOf("AWS::IAM::Policy").find((p) => JSON.stringify(p.Properties.Roles).includes("SweepStaleJobsFunction"))!;
    const statements = policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
    const actions = statements.flatMap((st) => [st.Action].flat()).filter((a) => !a.startsWith("xray:")).sort();
    expect(actions).toEqual(["dynamodb:Query", "dynamodb:UpdateItem", "s3:GetObject", "s3:ListBucket", "states:DescribeExecution"]);
    const query = statements.find((st) => st.Action === "dynamodb:Query")!;
    expect(JSON.stringify(query.Resource)).toContain("/index/by-status");
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: "by-status", KeySchema: [{ AttributeName: "status", KeyType: "HASH" }, { AttributeName: "created_at", KeyType: "RANGE" }] })],
    });
  });
});

describe("the Worker's identity", () => {
  it("may do exactly what the Worker does, action by action, with no wildcard action", () => {
    const policies = resourcesOf("AWS::IAM::Policy").filter((p) => JSON.stringify(p.Properties.Users ?? []).includes("WorkerUser"));
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties.PolicyDocument.Statement as { Sid: string; Action: string | string[]; Resource: unknown }[];
    const actions = Object.fromEntries(statements.map((s) => [s.Sid, [s.Action].flat().sort()]));
    expect(actions).toEqual({
      // No language detection: the Worker finds a text's language itself.
      Comprehend: ["comprehend:BatchDetectSentiment", "comprehend:DetectSentiment", "comprehend:DetectTargetedSentiment"],
      Uploads: ["s3:PutObject"],
      Results: ["s3:GetObject"],
      Jobs: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      DeadLetters: ["sqs:SendMessage"],
      UploadDeadlines: ["states:StartExecution"],
    });
    for (const s of statements) for (const a of [s.Action].flat()) expect(a).not.toMatch(/\*/);
    const resources = Object.fromEntries(statements.map((s) => [s.Sid, JSON.stringify(s.Resource)]));
    expect(resources.Uploads).toContain("/uploads/*");
    expect(resources.Results).toContain("/processed/*");
    expect(resources.Comprehend).toBe('"*"'); // Comprehend's detect calls have no resource ARN
  });
});

describe("monitoring and outputs", () => {
  it("alarms on failed executions, dead letters and each Lambda's errors, with a dashboard", () => {
    expect(resourcesOf("AWS::CloudWatch::Alarm")).toHaveLength(2 + LAMBDA_NAMES.length);
    template.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "ExecutionsFailed", Threshold: 0, ComparisonOperator: "GreaterThanThreshold" });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: "ApproximateNumberOfMessagesVisible" });
    const [dashboard] = resourcesOf("AWS::CloudWatch::Dashboard");
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const title of ["Job duration", "Success rate", "Items analysed"]) expect(body).toContain(title);
  });

  it("outputs what the Worker's configuration needs", () => {
    for (const name of ["BucketName", "JobsTableName", "DeadLetterQueueUrl", "Region", "WorkerUserName"]) template.hasOutput(name, {});
  });
});
