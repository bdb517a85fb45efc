/**
 * The identity the edge Worker signs its AWS calls with, allowed exactly what it does and
 * nothing more. Its access key is created by the operator and stored as Worker secrets
 * (see README), so no secret passes through CloudFormation.
 */
import * as iam from "aws-cdk-lib/aws-iam";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { S3_PREFIXES } from "../../shared/jobs.ts";

/**
 * Comprehend's detect calls take no resource ARN: they are allowed on "*", by action. No language
 * detection: the Worker finds a text's language itself (shared/pipeline/language.ts).
 */
export const WORKER_COMPREHEND_ACTIONS = [
  "comprehend:DetectSentiment",
  "comprehend:BatchDetectSentiment",
  "comprehend:DetectTargetedSentiment",
];

export interface WorkerIdentityProps {
  bucket: s3.IBucket;
  table: dynamodb.ITable;
  deadLetterQueue: sqs.IQueue;
  uploadDeadline: sfn.IStateMachine;
}

export class WorkerIdentity extends Construct {
  readonly user: iam.User;

  constructor(scope: Construct, id: string, props: WorkerIdentityProps) {
    super(scope, id);
    this.user = new iam.User(this, "User");
    const policy = new iam.Policy(this, "Policy", {
      statements: [
        new iam.PolicyStatement({ sid: "Comprehend", actions: WORKER_COMPREHEND_ACTIONS, resources: ["*"] }),
        new iam.PolicyStatement({ sid: "Uploads", actions: ["s3:PutObject"], resources: [props.bucket.arnForObjects(`${S3_PREFIXES.uploads}*`)] }),
        new iam.PolicyStatement({ sid: "Results", actions: ["s3:GetObject"], resources: [props.bucket.arnForObjects(`${S3_PREFIXES.processed}*`)] }),
        new iam.PolicyStatement({
          sid: "Jobs",
          actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
          resources: [props.table.tableArn],
        }),
        new iam.PolicyStatement({ sid: "DeadLetters", actions: ["sqs:SendMessage"], resources: [props.deadLetterQueue.queueArn] }),
        // The deadline of each POST /v1/jobs job.
        new iam.PolicyStatement({ sid: "UploadDeadlines", actions: ["states:StartExecution"], resources: [props.uploadDeadline.stateMachineArn] }),
      ],
    });
    policy.attachToUser(this.user);
  }
}
