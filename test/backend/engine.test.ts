/** The embedded engines behave as Comprehend's answers require, on text a user would send. */
import { describe, expect, it } from "vitest";
import { analyzeSentiment } from "../../shared/engine/sentiment.ts";
import { detectLanguages } from "../../shared/engine/language.ts";
import { countPiiTypes, detectPii, ibanValid, luhnValid, redactPii } from "../../shared/engine/pii.ts";
import { billingUnits } from "../../shared/comprehend.ts";

describe("sentiment", () => {
  it.each([
    ["I love this product!", "POSITIVE"],
    ["Worst purchase ever. It broke in a day.", "NEGATIVE"],
    ["The package arrived on Tuesday.", "NEUTRAL"],
    ["Great screen, awful battery, decent price.", "MIXED"],
  ])("%s -> %s, with that label's score the highest and all four summing to 1", (text, label) => {
    const r = analyzeSentiment(text);
    expect(r.Sentiment).toBe(label);
    const scores = r.SentimentScore;
    const byLabel = { POSITIVE: scores.Positive, NEGATIVE: scores.Negative, NEUTRAL: scores.Neutral, MIXED: scores.Mixed };
    expect(Math.max(...Object.values(byLabel))).toBe(byLabel[label as keyof typeof byLabel]);
    expect(scores.Positive + scores.Negative + scores.Neutral + scores.Mixed).toBeCloseTo(1, 9);
  });

  it("handles negation and emphasis as VADER does", () => {
    expect(analyzeSentiment("This is not good at all").Sentiment).toBe("NEGATIVE");
    expect(analyzeSentiment("GREAT!!!").SentimentScore.Positive).toBeGreaterThan(analyzeSentiment("great").SentimentScore.Positive);
  });
});

describe("language", () => {
  it.each([
    ["The delivery was quick and the support team was helpful.", "en"],
    ["La entrega fue rápida y el equipo de soporte fue muy amable.", "es"],
    ["La livraison était rapide et le service client très aimable.", "fr"],
    ["Die Lieferung war schnell und der Kundendienst sehr freundlich.", "de"],
    ["配送がとても早くて、サポートも親切でした。", "ja"],
    ["배송이 빠르고 고객 지원도 친절했습니다.", "ko"],
    ["كان التوصيل سريعا وكان فريق الدعم متعاونا جدا.", "ar"],
  ])("%s -> %s", (text, code) => {
    const [best] = detectLanguages(text);
    expect(best?.LanguageCode).toBe(code);
  });

  it("returns nothing for text without letters", () => {
    expect(detectLanguages("12345 !!! ...")).toEqual([]);
  });
});

describe("PII", () => {
  it("finds each supported type with its exact offsets", () => {
    const text =
      "Email ann@example.org, phone +44 20 7123 4567, card 4111 1111 1111 1111, SSN 123-45-6780, " +
      "IP 203.0.113.9 and 2001:db8::1, IBAN GB82 WEST 1234 5698 7654 32.";
    const found = detectPii(text).map((e) => [e.type, text.slice(e.begin, e.end)]);
    expect(found).toEqual([
      ["EMAIL", "ann@example.org"],
      ["PHONE", "+44 20 7123 4567"],
      ["CREDIT_DEBIT_NUMBER", "4111 1111 1111 1111"],
      ["SSN", "123-45-6780"],
      ["IP_ADDRESS", "203.0.113.9"],
      ["IP_ADDRESS", "2001:db8::1"],
      ["INTERNATIONAL_BANK_ACCOUNT_NUMBER", "GB82 WEST 1234 5698 7654 32"],
    ]);
  });

  it("does not flag numbers that fail their checks", () => {
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(ibanValid("GB82WEST12345698765433")).toBe(false);
    const text = "Order 4111 1111 1111 1112 cost 25.99 on 2024-03-05; SSN 666-12-3456; version 1.2.3; at 10:30.";
    expect(detectPii(text)).toEqual([]);
  });

  it("redacts with type tags and reports types and counts, never values", () => {
    const text = "Write to bob@example.com or alice@example.com";
    const r = redactPii(text);
    expect(r.text).toBe("Write to [EMAIL] or [EMAIL]");
    expect(countPiiTypes(r.entities)).toEqual({ EMAIL: 2 });
    expect(JSON.stringify(countPiiTypes(r.entities))).not.toContain("example.com");
  });
});

describe("billing units", () => {
  it("counts 100-character units, at least 3, by characters not bytes", () => {
    expect(billingUnits("hi")).toBe(3);
    expect(billingUnits("a".repeat(301))).toBe(4);
    expect(billingUnits("é".repeat(400))).toBe(4);
    expect(billingUnits("😀".repeat(400))).toBe(4);
  });
});
