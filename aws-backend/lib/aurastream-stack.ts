/** The AWS side of AuraStream: the batch pipeline and what the edge Worker reaches. */
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import { Construct } from "constructs";
import { BatchPipeline } from "./batch-pipeline.ts";
import { DeadLetterQueue } from "./dead-letter-queue.ts";
import { JobsBucket } from "./jobs-bucket.ts";
import { JobsTable } from "./jobs-table.ts";
import { Monitoring } from "./monitoring.ts";
import { UploadDeadline } from "./upload-deadline.ts";
import { WorkerIdentity } from "./worker-identity.ts";
import { JOB_BATCH_CONCURRENCY } from "../../shared/comprehend.ts";

export interface AuraStreamStackProps extends StackProps {
  /** Batches analysed at once per job (default JOB_BATCH_CONCURRENCY: room for real time within Comprehend's batch quota). */
  maxConcurrency?: number;
  /** Uploads larger than this go through Comprehend's asynchronous jobs (default 5 MiB). */
  asyncJobMinBytes?: number;
  /** A job with a larger share of failed rows ends FAILED (default 0.5). */
  maxFailedRowShare?: number;
}

export class AuraStreamStack extends Stack {
  readonly pipeline: BatchPipeline;

  constructor(scope: Construct, id: string, props: AuraStreamStackProps = {}) {
    super(scope, id, props);
    const { bucket } = new JobsBucket(this, "Jobs");
    const { table } = new JobsTable(this, "JobsTable");
    const { queue: deadLetterQueue } = new DeadLetterQueue(this, "DeadLetters");
    this.pipeline = new BatchPipeline(this, "BatchPipeline", {
      bucket,
      table,
      deadLetterQueue,
      maxConcurrency: props.maxConcurrency ?? JOB_BATCH_CONCURRENCY,
      asyncJobMinBytes: props.asyncJobMinBytes,
      maxFailedRowShare: props.maxFailedRowShare,
    });
    const uploadDeadline = new UploadDeadline(this, "UploadDeadline", { table });
    const worker = new WorkerIdentity(this, "Worker", { bucket, table, deadLetterQueue, uploadDeadline: uploadDeadline.stateMachine });
    new Monitoring(this, "Monitoring", {
      stateMachine: this.pipeline.stateMachine,
      deadLetterQueue,
      functions: Object.values(this.pipeline.functions),
    });

    // What the Worker's configuration (wrangler.toml [env.production.vars]) needs.
    new CfnOutput(this, "BucketName", { value: bucket.bucketName, description: "JOBS_BUCKET" });
    new CfnOutput(this, "JobsTableName", { value: table.tableName, description: "JOBS_TABLE" });
    new CfnOutput(this, "DeadLetterQueueUrl", { value: deadLetterQueue.queueUrl, description: "DLQ_URL" });
    new CfnOutput(this, "Region", { value: this.region, description: "AWS_REGION" });
    new CfnOutput(this, "WorkerUserName", { value: worker.user.userName, description: "create its access key for AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY" });
    new CfnOutput(this, "StateMachineArn", { value: this.pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, "UploadDeadlineStateMachineArn", { value: uploadDeadline.stateMachine.stateMachineArn, description: "UPLOAD_DEADLINE_STATE_MACHINE_ARN" });
    new CfnOutput(this, "WebhookSecretArn", { value: this.pipeline.webhookSecret.secretArn, description: "the key webhook signatures are made with" });
  }
}
