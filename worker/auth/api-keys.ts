/**
 * API keys live in KV under the SHA-256 of the key, never the key itself: a KV dump reveals no
 * usable key. The record carries the tenant, tier and status the middleware needs.
 *
 * The functions take the smallest store they need, so the Worker passes its KV binding and the
 * `npm run keys` command passes the same store reached through wrangler.
 */
import { sha256Hex } from "../../shared/hash.ts";
import type { SentimentLanguage } from "../../shared/comprehend.ts";
import type { PlanLimits, Tier } from "../../shared/tiers.ts";

export interface ApiKeyRecord {
  key_id: string;
  tenant_id: string;
  tier: Tier;
  status: "active" | "disabled";
  created_at: string;
  /** The language this key's texts are analysed in when theirs cannot be told (absent: en). */
  default_language?: SentimentLanguage;
  /** false: no embedded-engine answers for this key when Comprehend cannot answer (503 instead). */
  fallback?: boolean;
  /**
   * true: this key's results are cached in the pool shared by every tenant that opted in (more
   * hits; a hit there tells that another tenant sent the text). Absent: its tenant's own cache.
   */
  cache_sharing?: boolean;
  /** The operator's overrides of the tier's limits for this key (shared/tiers.ts planOf). */
  limits?: Partial<PlanLimits>;
}

export interface KeyStore {
  get(key: string, type: "json"): Promise<unknown>;
  /** The record is also the entry's metadata, so a listing shows keys without reading each. */
  put(key: string, value: string, options?: { metadata?: unknown }): Promise<unknown>;
}

/** The key local dev and the tests are seeded with (premium). */
export const LOCAL_DEV_KEY = "aurastream-local-dev-key";
export const LOCAL_DEV_TENANT = "local-dev";

export const API_KEY_PREFIX = "apikey:";

/** How long an isolate trusts a key record it read: a revocation takes effect within this, plus KV's propagation. */
export const KEY_CACHE_MS = 10_000;
/** How long an isolate remembers that a key is unknown: a new key works within this, plus KV's propagation. */
export const UNKNOWN_KEY_CACHE_MS = 10_000;
/**
 * What a key change waits for, as the CLI states it: the isolate caches above, and KV's own
 * propagation (Cloudflare documents up to 60 s for a write to be seen in every location).
 */
export const KEY_CHANGE_BOUND = `${KEY_CACHE_MS / 1000} s where the key was used lately, up to 60 s elsewhere (KV propagation)`;

export const hashKey = sha256Hex;

/** The isolate's memory of keys looked up lately: known ones, and unknown ones (kept apart, so a flood of made-up keys cannot evict the real ones). */
export interface RememberedKeys {
  known: { get(key: string): KnownKey | undefined; set(key: string, found: KnownKey): void };
  unknown: { get(key: string): true | undefined; set(key: string, unknown: true): void };
}

/**
 * The key's record and hash (which names its rate-limiter object), or null when unknown.
 * `remembered` (the isolate's memory, a few seconds) answers repeat lookups, known or unknown,
 * without hashing or a KV read; it lives only in memory, like the request that carried the key.
 */
export async function lookupKey(kv: KeyStore, key: string, remembered?: RememberedKeys): Promise<KnownKey | null> {
  const known = remembered?.known.get(key);
  if (known) return known;
  if (remembered?.unknown.get(key)) return null;
  const hash = hashKey(key);
  const record = (await kv.get(API_KEY_PREFIX + hash, "json")) as ApiKeyRecord | null;
  if (!record) {
    remembered?.unknown.set(key, true);
    return null;
  }
  remembered?.known.set(key, { hash, record });
  return { hash, record };
}

export interface KnownKey {
  hash: string;
  record: ApiKeyRecord;
}

/** Stores a key (a new random one unless given) and returns it once; only its hash is kept. */
export async function createKey(
  kv: KeyStore,
  options: { tenant: string; tier: Tier; key?: string; now?: Date; defaultLanguage?: SentimentLanguage; fallback?: boolean; shareCache?: boolean; limits?: Partial<PlanLimits> },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = options.key ?? `as_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const hash = hashKey(key);
  const record: ApiKeyRecord = {
    key_id: keyIdOf(hash),
    tenant_id: options.tenant,
    tier: options.tier,
    status: "active",
    created_at: (options.now ?? new Date()).toISOString(),
    ...(options.defaultLanguage ? { default_language: options.defaultLanguage } : {}),
    ...(options.fallback === false ? { fallback: false } : {}),
    ...(options.shareCache ? { cache_sharing: true } : {}),
    ...(options.limits && Object.keys(options.limits).length > 0 ? { limits: options.limits } : {}),
  };
  await kv.put(API_KEY_PREFIX + hash, JSON.stringify(record), { metadata: record });
  return { key, record };
}

/** Enables or disables the key stored under `hash`; false when there is none. */
export async function setKeyStatus(kv: KeyStore, hash: string, status: ApiKeyRecord["status"]): Promise<boolean> {
  const record = (await kv.get(API_KEY_PREFIX + hash, "json")) as ApiKeyRecord | null;
  if (!record) return false;
  const updated = { ...record, status };
  await kv.put(API_KEY_PREFIX + hash, JSON.stringify(updated), { metadata: updated });
  return true;
}

/** The public name of a key (logs, usage, `keys list`): the first 12 hex digits of its hash. */
export function keyIdOf(hash: string): string {
  return hash.slice(0, 12);
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
