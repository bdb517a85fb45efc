/** Amazon SQS, SendMessage only: the Worker's identity may do nothing else with the queue. */
import type { AwsClient } from "aws4fetch";
import type { Deadline } from "./deadline.ts";
import { callAwsJson, signerFor, type AwsServiceOptions } from "./json-protocol.ts";

export class SqsClient {
  private readonly aws: AwsClient;

  constructor(private readonly options: AwsServiceOptions) {
    this.aws = signerFor("sqs", options);
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
