/**
 * The upload deadline of a POST /v1/jobs job, kept by AWS itself: a small STANDARD state machine
 * the Worker starts when it creates the job (named after the job), which waits until the
 * deadline and then ends the job FAILED (UPLOAD_EXPIRED) if it is still AWAITING_UPLOAD. Its
 * role may update the jobs table, nothing else.
 */
import { readFileSync } from "node:fs";
import { Duration } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { UPLOAD_DEADLINE_ASL_PATH, UPLOAD_DEADLINE_STATE_MACHINE_NAME } from "./batch-pipeline-paths.ts";

export class UploadDeadline extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: { table: dynamodb.ITable }) {
    super(scope, id);
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      stateMachineName: UPLOAD_DEADLINE_STATE_MACHINE_NAME,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(readFileSync(UPLOAD_DEADLINE_ASL_PATH, "utf8")),
      definitionSubstitutions: { JobsTableName: props.table.tableName },
      logs: { destination: new logs.LogGroup(this, "Logs", { retention: logs.RetentionDays.ONE_MONTH }), level: sfn.LogLevel.ERROR, includeExecutionData: false },
      // Upload URLs live at most 7 days; the grace is an hour.
      timeout: Duration.days(8),
    });
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ["dynamodb:UpdateItem"], resources: [props.table.tableArn] }));
  }
}
