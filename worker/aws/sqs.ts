/** Amazon SQS, SendMessage only: the Worker's identity may do nothing else with the queue. */
import { AwsClient } from "aws4fetch";
import type { Deadline } from "./deadline.ts";
import { callAwsJson, type RetryPolicy } from "./json-protocol.ts";

export class SqsClient {
  private readonly aws: AwsClient;

  constructor(
    private readonly options: {
      credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
      region: string;
      endpoint: string;
      retry: RetryPolicy;
    },
  ) {
    this.aws = new AwsClient({ ...options.credentials, region: options.region, service: "sqs", retries: 0 });
  }

  async sendMessage(queueUrl: string, body: string, deadline: Deadline): Promise<{ MessageId: string }> {
    return callAwsJson(
      this.aws,
      {
        endpoint: this.options.endpoint,
        target: "AmazonSQS.SendMessage",
        contentType: "application/x-amz-json-1.0",
        body: { QueueUrl: queueUrl, MessageBody: body },
      },
      deadline,
      this.options.retry,
    );
  }
}
