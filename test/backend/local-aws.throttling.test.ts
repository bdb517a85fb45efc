/** Comprehend's default request rates of one region, enforced as AWS does: ThrottlingException past them. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchDetectSentimentCommand, DetectSentimentCommand } from "@aws-sdk/client-comprehend";
import { COMPREHEND_DEFAULT_RATES } from "../../aws-backend/local/services/comprehend.ts";
import { sdkClients, startLocalAws, type LocalAws } from "./local-aws.ts";

let endpoint: LocalAws;
/** The endpoint's clock, moved by the test, so the counts are exact. */
let clock = 1_000_000;
beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0, comprehend: { rates: COMPREHEND_DEFAULT_RATES, now: () => clock } });
});
afterAll(() => endpoint.close());

const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: Error) => e.name);

describe("Comprehend throttling at AWS's default rates", () => {
  it("admits a burst of 20 DetectSentiment calls and throttles the rest, then refills at 20 a second", async () => {
    const { comprehend } = sdkClients(endpoint);
    const burst = await Promise.all(Array.from({ length: 30 }, () => outcome(comprehend.send(new DetectSentimentCommand({ Text: "fine", LanguageCode: "en" })))));
    expect(burst.filter((o) => o === "ok")).toHaveLength(20);
    expect(burst.filter((o) => o === "ThrottlingException")).toHaveLength(10);
    clock += 500;
    const later = await Promise.all(Array.from({ length: 15 }, () => outcome(comprehend.send(new DetectSentimentCommand({ Text: "fine", LanguageCode: "en" })))));
    expect(later.filter((o) => o === "ok")).toHaveLength(10); // half a second refills 10
    clock += 5_000;
    const rested = await Promise.all(Array.from({ length: 25 }, () => outcome(comprehend.send(new DetectSentimentCommand({ Text: "fine", LanguageCode: "en" })))));
    expect(rested.filter((o) => o === "ok")).toHaveLength(20); // a burst never exceeds one second's worth
  });

  it("keeps a rate per operation: batch calls have their own 10 a second", async () => {
    const { comprehend } = sdkClients(endpoint);
    const batches = await Promise.all(
      Array.from({ length: 12 }, () => outcome(comprehend.send(new BatchDetectSentimentCommand({ TextList: ["fine"], LanguageCode: "en" })))),
    );
    expect(batches.filter((o) => o === "ok")).toHaveLength(10);
    expect(endpoint.comprehend.throttled.get("BatchDetectSentiment")).toBe(2);
  });
});
