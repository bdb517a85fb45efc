/** The embedded engines behave as Comprehend's answers require, on text a user would send. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyzeSentiment } from "../../shared/engine/sentiment/index.ts";
import { MODEL } from "../../shared/engine/sentiment/model.generated.ts";
import { detectLanguages } from "../../shared/engine/language.ts";
import { countPiiTypes, detectPii, ibanValid, luhnValid, redactPii } from "../../shared/engine/pii.ts";
import { billingUnits } from "../../shared/comprehend.ts";

describe("sentiment", () => {
  it("names the shipped model in the local Worker's ENGINE_VERSION, so a retrained engine's answers never come from an older one's cache", () => {
    const wrangler = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    const local = /^ENGINE_VERSION = "([^"]+)"/m.exec(wrangler)?.[1];
    expect(local).toBe(MODEL.version);
  });

  const byLabel = (s: { Positive: number; Negative: number; Neutral: number; Mixed: number }) => ({ POSITIVE: s.Positive, NEGATIVE: s.Negative, NEUTRAL: s.Neutral, MIXED: s.Mixed });

  it.each([
    ["I love this product!", "en", "POSITIVE"],
    ["Worst purchase ever. It broke in a day.", "en", "NEGATIVE"],
    ["Great screen, awful battery, decent price.", "en", "MIXED"],
  ])("%s -> %s, four distinct scores rounded to 4 places, the label's the highest, summing to 1", (text, language, label) => {
    const r = analyzeSentiment(text, language);
    expect(r.Sentiment).toBe(label);
    const scores = byLabel(r.SentimentScore);
    expect(Math.max(...Object.values(scores))).toBe(scores[label as keyof typeof scores]);
    expect(new Set(Object.values(scores)).size).toBe(4);
    for (const v of Object.values(scores)) expect(Math.round(v * 10_000) / 10_000).toBe(v);
    expect(Object.values(scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
  });

  it.each([
    ["Terrible support, I want a refund."],
    ["The app crashes every time I open the settings page"],
    ["Awful support"],
    ["I was charged twice and nobody answers my emails"],
    ["Still waiting for my refund after three weeks"],
  ])("reads the customer-support complaint %j as NEGATIVE", (text) => {
    expect(analyzeSentiment(text, "en").Sentiment).toBe("NEGATIVE");
  });

  it.each([
    ["👍", "POSITIVE"],
    ["❤️", "POSITIVE"],
    [":)", "POSITIVE"],
    ["👎", "NEGATIVE"],
    ["😡", "NEGATIVE"],
    [":(", "NEGATIVE"],
  ])("gives the emoji or emoticon %s its polarity (%s)", (text, label) => {
    expect(analyzeSentiment(text, "en").Sentiment).toBe(label);
  });

  it.each([
    ["Das ist schlecht", "de", "NEGATIVE"],
    ["C'est nul", "fr", "NEGATIVE"],
    ["Muy bueno 👍", "es", "POSITIVE"],
    ["Me encanta este producto, es excelente", "es", "POSITIVE"],
    ["Questo prodotto è fantastico, lo adoro", "it", "POSITIVE"],
    ["Péssimo atendimento, nunca mais compro", "pt", "NEGATIVE"],
    ["これは最悪です", "ja", "NEGATIVE"],
    ["とても良い商品で満足しています", "ja", "POSITIVE"],
    ["満足できませんでした", "ja", "NEGATIVE"],
    ["壊れないので安心", "ja", "POSITIVE"],
    // A review's hedges ("so-so, you get what you pay for"; "fine, but shipping was a bit slow") read as NEUTRAL.
    ["まあまあです。値段なりかな", "ja", "NEUTRAL"],
    ["质量还行，就是物流有点慢", "zh", "NEUTRAL"],
    ["非常好", "zh", "POSITIVE"],
    ["质量太差了，很失望", "zh", "NEGATIVE"],
    ["質量太差了，很失望", "zh-TW", "NEGATIVE"],
    ["非常滿意，推薦購買", "zh-TW", "POSITIVE"],
    ["還行，就是物流有點慢", "zh-TW", "NEUTRAL"],
    ["정말 최고의 영화입니다", "ko", "POSITIVE"],
    ["시간 아깝다 최악", "ko", "NEGATIVE"],
    ["지루하고 재미없는 영화", "ko", "NEGATIVE"],
    ["완전 실망했어요 환불해 주세요", "ko", "NEGATIVE"],
    ["연기가 정말 자연스럽고 감동적이었다", "ko", "POSITIVE"],
    // Korean learns its words from two-class reviews, its neutral class from the lexicon only.
    ["그냥 그래요", "ko", "NEUTRAL"],
    ["내일 회의는 3시에 있습니다", "ko", "NEUTRAL"],
    // Plain product sentences in the languages whose models learned from tweets (and read character grams).
    ["Das Produkt ist hervorragend", "de", "POSITIVE"],
    ["Das Produkt ist hervorragend und sehr zuverlässig", "de", "POSITIVE"],
    ["Das Produkt ist", "de", "NEUTRAL"],
    ["El producto es excelente", "es", "POSITIVE"],
    ["Le produit est excellent", "fr", "POSITIVE"],
    ["Il prodotto è ottimo", "it", "POSITIVE"],
    ["O produto é ótimo", "pt", "POSITIVE"],
    ["المنتج ممتاز", "ar", "POSITIVE"],
    ["El producto llegó roto", "es", "NEGATIVE"],
    ["Le produit est arrivé cassé", "fr", "NEGATIVE"],
    ["Das Produkt ist kaputt", "de", "NEGATIVE"],
    ["Il prodotto è arrivato rotto", "it", "NEGATIVE"],
    ["O produto chegou quebrado", "pt", "NEGATIVE"],
  ])("reads %j in %s as %s", (text, language, label) => {
    expect(analyzeSentiment(text, language).Sentiment).toBe(label);
  });

  it("handles negation", () => {
    expect(analyzeSentiment("This is not good at all", "en").Sentiment).toBe("NEGATIVE");
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
  it.each([
    ["ssn 123-45-6789", "SSN", "123-45-6789"], // never issued, but labelled
    ["My SSN is 900-12-3456.", "SSN", "900-12-3456"],
    ["social security number: 078051120", "SSN", "078051120"],
    ["card number 4012-8888-8888-1882 please", "CREDIT_DEBIT_NUMBER", "4012-8888-8888-1882"], // fails Luhn
    ["Please charge my credit card. Number is 4563824065058", "CREDIT_DEBIT_NUMBER", "4563824065058"],
    ["acct # 00123456", "BANK_ACCOUNT_NUMBER", "00123456"],
    ["bank account no. 12-345-678", "BANK_ACCOUNT_NUMBER", "12-345-678"],
  ])("redacts a labelled identifier whatever its checksum: %s", (text, type, value) => {
    expect(detectPii(text).map((e) => [e.type, text.slice(e.begin, e.end)])).toEqual([[type, value]]);
  });

  it.each([["I waited 123456789 minutes"], ["card ending 1234"], ["account 42 is closed"], ["order 4012-8888-8888-1882 shipped"]])(
    "leaves an unlabelled or too short number alone: %s",
    (text) => expect(detectPii(text)).toEqual([]),
  );

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

  it("does not flag unlabelled numbers that fail their checks", () => {
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(ibanValid("GB82WEST12345698765433")).toBe(false);
    const text = "Order 4111 1111 1111 1112 cost 25.99 on 2024-03-05; ref 666-12-3456; version 1.2.3; at 10:30.";
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
