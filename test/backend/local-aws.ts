/** Test helpers: a local AWS endpoint on a free port and SDK clients pointed at it. */
import { ComprehendClient } from "@aws-sdk/client-comprehend";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { startLocalAws, type LocalAws } from "../../aws-backend/local/server.ts";

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

export { startLocalAws, type LocalAws };
