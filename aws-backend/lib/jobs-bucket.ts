/** The batch payloads and results: private, encrypted, TLS only, events to EventBridge, short-lived. */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { JOB_RETENTION_DAYS, S3_PREFIXES } from "../../shared/jobs.ts";

export const UPLOAD_RETENTION_DAYS = 7;

/**
 * Browsers may PUT a file to a presigned upload URL (POST /v1/jobs) from any origin: the URL
 * itself is the credential, bound to one key, size and type, and short-lived.
 */
export const UPLOAD_CORS: s3.CorsRule = {
  id: "presigned-uploads",
  allowedMethods: [s3.HttpMethods.PUT],
  allowedOrigins: ["*"],
  allowedHeaders: ["content-type"],
  exposedHeaders: ["ETag"],
  maxAge: 3_000,
};

export class JobsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, "Bucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      eventBridgeEnabled: true,
      cors: [UPLOAD_CORS],
      lifecycleRules: [
        { id: "uploads", prefix: S3_PREFIXES.uploads, expiration: Duration.days(UPLOAD_RETENTION_DAYS) },
        { id: "processed", prefix: S3_PREFIXES.processed, expiration: Duration.days(JOB_RETENTION_DAYS) },
        { id: "failed", prefix: S3_PREFIXES.failed, expiration: Duration.days(JOB_RETENTION_DAYS) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
