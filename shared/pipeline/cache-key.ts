/**
 * The result cache's key: SHA-256 over the engine version, the language (or "auto" and the
 * default language a text too short to tell would be analysed in), the PII mode and the
 * normalised text that is analysed (already redacted under `redact`). Known before any
 * detection, so a hit costs no Comprehend call. The text itself is never part of a stored key
 * or value.
 */
import { sha256Hex } from "../hash.ts";
import type { PiiMode } from "../schemas.ts";

export function resultCacheKey(parts: {
  engineVersion: string;
  languageCode: string | undefined;
  defaultLanguage: string;
  pii: PiiMode;
  normalisedText: string;
}): string {
  const language = parts.languageCode ?? `auto:${parts.defaultLanguage}`;
  return sha256Hex(JSON.stringify([parts.engineVersion, language, parts.pii, parts.normalisedText]));
}
