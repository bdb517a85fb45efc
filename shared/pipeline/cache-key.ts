/**
 * The result cache's key: SHA-256 over the engine version, the language (or "auto"), the PII
 * mode and the normalised text that is analysed (already redacted under `redact`). The text
 * itself is never part of a stored key or value.
 */
import { sha256Hex } from "../hash.ts";
import type { PiiMode } from "../schemas.ts";

export function resultCacheKey(parts: {
  engineVersion: string;
  languageCode: string | undefined;
  pii: PiiMode;
  normalisedText: string;
}): string {
  return sha256Hex(JSON.stringify([parts.engineVersion, parts.languageCode ?? "auto", parts.pii, parts.normalisedText]));
}
