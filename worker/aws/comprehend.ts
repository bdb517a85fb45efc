/**
 * Amazon Comprehend, the operations the real-time path uses (the language is found at the edge),
 * signed with aws4fetch.
 * Every call goes through the circuit breaker and the retry policy, inside the caller's deadline.
 */
import type { AwsClient } from "aws4fetch";
import {
  COMPREHEND_TARGET_PREFIX,
  type BatchSentimentAnswer,
  type SentimentAnswer,
  type TargetedSentimentAnswer,
} from "../../shared/comprehend.ts";
import type { CircuitBreaker } from "./circuit-breaker.ts";
import type { Deadline } from "./deadline.ts";
import { AwsCallError, callAwsJson, signerFor, type AwsServiceOptions } from "./json-protocol.ts";

export interface ComprehendClientOptions extends AwsServiceOptions {
  breaker: CircuitBreaker;
  random?: () => number;
}

export class ComprehendClient {
  private readonly aws: AwsClient;

  constructor(private readonly options: ComprehendClientOptions) {
    this.aws = signerFor("comprehend", options);
  }

  async detectSentiment(text: string, languageCode: string, deadline: Deadline): Promise<SentimentAnswer> {
    return this.call("DetectSentiment", { Text: text, LanguageCode: languageCode }, deadline);
  }

  async batchDetectSentiment(texts: string[], languageCode: string, deadline: Deadline): Promise<BatchSentimentAnswer> {
    return this.call("BatchDetectSentiment", { TextList: texts, LanguageCode: languageCode }, deadline);
  }

  async detectTargetedSentiment(text: string, languageCode: string, deadline: Deadline): Promise<TargetedSentimentAnswer> {
    return this.call("DetectTargetedSentiment", { Text: text, LanguageCode: languageCode }, deadline);
  }

  /**
   * Reachability without cost: a DetectSentiment with no text is refused by validation after
   * authentication, so an InvalidRequestException proves the endpoint and the credentials work
   * and bills nothing.
   */
  /** Whether real calls are failing in this isolate (the breaker is open): readiness reports it. */
  get refusing(): boolean {
    return this.options.breaker.state === "open";
  }

  async probe(deadline: Deadline): Promise<void> {
    try {
      await callAwsJson(this.aws, this.request("DetectSentiment", {}), deadline, { ...this.options.retry, maxAttempts: 1 });
    } catch (err) {
      if (err instanceof AwsCallError && !err.isDependencyFailure) return;
      throw err;
    }
  }

  private call<T>(operation: string, body: unknown, deadline: Deadline): Promise<T> {
    return this.options.breaker.run(
      () => callAwsJson<T>(this.aws, this.request(operation, body), deadline, this.options.retry, this.options.random),
      (err) => !(err instanceof AwsCallError) || err.isDependencyFailure,
    );
  }

  private request(operation: string, body: unknown) {
    return {
      endpoint: this.options.endpoint,
      target: `${COMPREHEND_TARGET_PREFIX}.${operation}`,
      contentType: "application/x-amz-json-1.1",
      body,
    };
  }
}
