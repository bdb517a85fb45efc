/** The shared engines the edge uses run inside workerd, not only in Node. */
import { describe, expect, it } from "vitest";
import { redactPii } from "../../shared/engine/pii.ts";
import { analyzeSentiment } from "../../shared/engine/sentiment/index.ts";
import { languageOf } from "../../shared/pipeline/language.ts";

describe("shared engine inside workerd", () => {
  it("redacts PII", () => {
    expect(redactPii("Call me at (415) 555-0132 or mail me@example.com").text).toBe("Call me at [PHONE] or mail [EMAIL]");
  });

  it("scores sentiment in several languages", () => {
    expect(analyzeSentiment("I love this product!", "en").Sentiment).toBe("POSITIVE");
    expect(analyzeSentiment("これは最悪です", "ja").Sentiment).toBe("NEGATIVE");
  });

  it("detects languages", () => {
    expect(languageOf("Die Lieferung war schnell und der Kundendienst sehr freundlich.", undefined)).toEqual({ language: "de", source: "detected" });
  });
});
