/**
 * API keys live in KV under the SHA-256 of the key, never the key itself: a KV dump reveals no
 * usable key. The record carries the tenant, tier and status the middleware needs.
 */
import type { Tier } from "../../shared/tiers.ts";

export interface ApiKeyRecord {
  key_id: string;
  tenant_id: string;
  tier: Tier;
  status: "active" | "disabled";
  created_at: string;
}

/** The key local dev and the tests are seeded with (premium). */
export const LOCAL_DEV_KEY = "aurastream-local-dev-key";

const PREFIX = "apikey:";

export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function lookupKey(kv: KVNamespace, key: string): Promise<ApiKeyRecord | null> {
  return kv.get<ApiKeyRecord>(PREFIX + (await hashKey(key)), "json");
}

/** Stores a key (a new random one unless given) and returns it once; only its hash is kept. */
export async function createKey(
  kv: KVNamespace,
  options: { tenant: string; tier: Tier; key?: string; now?: Date },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = options.key ?? `as_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const hash = await hashKey(key);
  const record: ApiKeyRecord = {
    key_id: hash.slice(0, 12),
    tenant_id: options.tenant,
    tier: options.tier,
    status: "active",
    created_at: (options.now ?? new Date()).toISOString(),
  };
  await kv.put(PREFIX + hash, JSON.stringify(record));
  return { key, record };
}

export async function setKeyStatus(kv: KVNamespace, key: string, status: ApiKeyRecord["status"]): Promise<boolean> {
  const hash = await hashKey(key);
  const record = await kv.get<ApiKeyRecord>(PREFIX + hash, "json");
  if (!record) return false;
  await kv.put(PREFIX + hash, JSON.stringify({ ...record, status }));
  return true;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
