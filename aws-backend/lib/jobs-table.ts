/** One row per job (and per idempotency key): on demand, recoverable, expiring, encrypted; jobs indexed by status (the stale-job sweeper). */
import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { JOBS_STATUS_INDEX } from "../../shared/jobs.ts";

export const JOBS_TTL_ATTRIBUTE = "expires_at";

export class JobsTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: JOBS_TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: JOBS_STATUS_INDEX.name,
      partitionKey: { name: JOBS_STATUS_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: JOBS_STATUS_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...JOBS_STATUS_INDEX.projected],
    });
  }
}
