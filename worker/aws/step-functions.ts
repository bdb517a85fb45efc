/** AWS Step Functions, the one call the Worker makes (StartExecution of the upload deadline), with aws4fetch. */
import type { AwsClient } from "aws4fetch";
import type { Deadline } from "./deadline.ts";
import { callAwsJson, signerFor, type AwsServiceOptions } from "./json-protocol.ts";

export class StepFunctionsClient {
  private readonly aws: AwsClient;

  constructor(private readonly options: AwsServiceOptions) {
    this.aws = signerFor("states", options);
  }

  /**
   * Starts an execution named `name`. Step Functions treats a repeat of the same name and input
   * as the same execution (it answers it again), so a retried start starts nothing twice.
   */
  async startExecution(stateMachineArn: string, name: string, input: unknown, deadline: Deadline): Promise<{ executionArn: string }> {
    return callAwsJson(
      this.aws,
      { endpoint: this.options.endpoint, target: "AWSStepFunctions.StartExecution", contentType: "application/x-amz-json-1.0", body: { stateMachineArn, name, input: JSON.stringify(input) } },
      deadline,
      this.options.retry,
    );
  }
}
