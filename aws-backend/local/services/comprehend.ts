/**
 * Comprehend's JSON protocol (Comprehend_20171127.*) answered by the embedded engine in
 * shared/engine: same request and response shapes, same limits, same exception names.
 */
import { analyzeSentiment } from "../../../shared/engine/sentiment.ts";
import { detectLanguages } from "../../../shared/engine/language.ts";
import { detectPii } from "../../../shared/engine/pii.ts";
import {
  MAX_BATCH_DOCUMENTS,
  MAX_DETECT_BYTES,
  MAX_SENTIMENT_BYTES,
  PII_LANGUAGES,
  SENTIMENT_LANGUAGES,
  billingUnits,
  utf8Bytes,
} from "../../../shared/comprehend.ts";
import { AwsError } from "../protocol.ts";
import type { Usage } from "../usage.ts";

type Body = Record<string, unknown>;

export class ComprehendService {
  constructor(private readonly usage: Usage) {}

  warmUp(): void {
    analyzeSentiment("warming up the lexicon");
    detectLanguages("warming up the language model");
    detectPii("warm.up@example.com");
  }

  handle(operation: string, body: Body): unknown {
    switch (operation) {
      case "DetectSentiment": {
        const text = this.document(body.Text, "Text", MAX_SENTIMENT_BYTES);
        const language = languageOf(body, SENTIMENT_LANGUAGES);
        this.bill([text], language);
        return analyzeSentiment(text);
      }
      case "BatchDetectSentiment": {
        const texts = this.documents(body.TextList, MAX_SENTIMENT_BYTES);
        const language = languageOf(body, SENTIMENT_LANGUAGES);
        this.bill(texts, language);
        return { ResultList: texts.map((t, Index) => ({ Index, ...analyzeSentiment(t) })), ErrorList: [] };
      }
      case "DetectDominantLanguage": {
        const text = this.document(body.Text, "Text", MAX_DETECT_BYTES);
        this.bill([text]);
        return { Languages: detectLanguages(text) };
      }
      case "BatchDetectDominantLanguage": {
        const texts = this.documents(body.TextList, MAX_SENTIMENT_BYTES);
        this.bill(texts);
        return { ResultList: texts.map((t, Index) => ({ Index, Languages: detectLanguages(t) })), ErrorList: [] };
      }
      case "DetectPiiEntities": {
        const text = this.document(body.Text, "Text", MAX_DETECT_BYTES);
        const language = languageOf(body, PII_LANGUAGES);
        this.bill([text], language);
        return {
          Entities: detectPii(text).map((e) => ({
            Score: 0.99,
            Type: e.type,
            BeginOffset: e.begin,
            EndOffset: e.end,
          })),
        };
      }
      default:
        throw new AwsError(400, "UnknownOperationException", `Unknown operation ${operation}`);
    }
  }

  private document(value: unknown, field: string, maxBytes: number): string {
    if (typeof value !== "string" || value.length === 0) {
      throw new AwsError(400, "InvalidRequestException", `${field} must be a non-empty string`);
    }
    if (utf8Bytes(value) > maxBytes) {
      throw new AwsError(
        400,
        "TextSizeLimitExceededException",
        `Input text size exceeds limit. Max length of request text allowed is ${maxBytes} bytes while in this request the text size is ${utf8Bytes(value)} bytes`,
      );
    }
    return value;
  }

  private documents(value: unknown, maxBytes: number): string[] {
    if (!Array.isArray(value) || value.length === 0) {
      throw new AwsError(400, "InvalidRequestException", "TextList must be a non-empty list of strings");
    }
    if (value.length > MAX_BATCH_DOCUMENTS) {
      throw new AwsError(
        400,
        "BatchSizeLimitExceededException",
        `The number of documents in the request exceeds the limit of ${MAX_BATCH_DOCUMENTS}.`,
      );
    }
    return value.map((v, i) => this.document(v, `TextList[${i}]`, maxBytes));
  }

  private bill(texts: string[], language?: string): void {
    this.usage.recordDocuments(texts.map(billingUnits), texts.reduce((n, t) => n + [...t].length, 0));
    this.usage.remember(texts, language);
  }
}

function languageOf(body: Body, supported: readonly string[]): string {
  const code = body.LanguageCode;
  if (typeof code !== "string" || code.length === 0) {
    throw new AwsError(400, "InvalidRequestException", "LanguageCode is required");
  }
  if (!supported.includes(code)) {
    throw new AwsError(
      400,
      "UnsupportedLanguageException",
      `The language code '${code}' is not supported for this operation. Supported: ${supported.join(", ")}`,
    );
  }
  return code;
}
