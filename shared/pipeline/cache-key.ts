/**
 * The result cache's key: SHA-256 over the cache scope, the engine version, the language (or
 * "auto" and the default language a text too short to tell would be analysed in), the PII mode
 * and the normalised text that is analysed (already redacted under `redact`). Known before any
 * detection, so a hit costs no Comprehend call. The text itself is never part of a stored key
 * or value.
 *
 * The scope is the tenant: a hit tells its caller that someone sent this text before (the
 * `cached` flag, the latency), so one tenant's texts must never answer another's. Tenants that
 * accept that may share one pool (cacheScopeOf).
 */
import { sha256Hex } from "../hash.ts";
import type { PiiMode } from "../schemas.ts";

/** The scope of a key's cache entries: its tenant's own, or the pool of tenants that opted into sharing. */
export function cacheScopeOf(record: { tenant_id: string; cache_sharing?: boolean }): string {
  return record.cache_sharing ? "shared" : `tenant:${record.tenant_id}`;
}

export function resultCacheKey(parts: {
  scope: string;
  engineVersion: string;
  languageCode: string | undefined;
  defaultLanguage: string;
  pii: PiiMode;
  normalisedText: string;
}): string {
  const language = parts.languageCode ?? `auto:${parts.defaultLanguage}`;
  return sha256Hex(JSON.stringify([parts.scope, parts.engineVersion, language, parts.pii, parts.normalisedText]));
}
