/** API keys in real KV (workerd): found by the key, stored only as a hash. */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createKey, hashKey, KEY_CACHE_MS, lookupKey, setKeyStatus, UNKNOWN_KEY_CACHE_MS, type KnownKey } from "../../worker/auth/api-keys.ts";
import { MemoryCache } from "../../shared/memory-cache.ts";

describe("API key store", () => {
  it("finds a created key with its tenant and tier", async () => {
    const { key, record } = await createKey(env.KV, { tenant: "acme", tier: "free" });
    expect(key).toMatch(/^as_[A-Za-z0-9_-]{43}$/);
    expect(await lookupKey(env.KV, key)).toEqual({ hash: hashKey(key), record });
    expect(record).toMatchObject({ tenant_id: "acme", tier: "free", status: "active" });
  });

  it("keeps only the SHA-256 of the key in KV", async () => {
    const { key } = await createKey(env.KV, { tenant: "acme", tier: "basic" });
    const stored = await env.KV.list();
    const names = stored.keys.map((k) => k.name);
    expect(names).toContain(`apikey:${hashKey(key)}`);
    for (const name of names) {
      expect(name).not.toContain(key);
      expect(await env.KV.get(name)).not.toContain(key);
    }
  });

  it("does not find an unknown key, and reports a disabled one as disabled", async () => {
    expect(await lookupKey(env.KV, "as_unknown")).toBeNull();
    const { key } = await createKey(env.KV, { tenant: "acme", tier: "premium" });
    expect(await setKeyStatus(env.KV, hashKey(key), "disabled")).toBe(true);
    expect((await lookupKey(env.KV, key))?.record.status).toBe("disabled");
    expect(await setKeyStatus(env.KV, hashKey("as_unknown"), "disabled")).toBe(false);
  });

  it("sees a revocation within KEY_CACHE_MS, and a new key within UNKNOWN_KEY_CACHE_MS, through an isolate's memory", async () => {
    let now = 0;
    const clock = () => now;
    const remembered = { known: new MemoryCache<KnownKey>(100, KEY_CACHE_MS, clock), unknown: new MemoryCache<true>(100, UNKNOWN_KEY_CACHE_MS, clock) };
    const { key } = await createKey(env.KV, { tenant: "acme", tier: "free" });
    expect((await lookupKey(env.KV, key, remembered))?.record.status).toBe("active");
    await setKeyStatus(env.KV, hashKey(key), "disabled");
    now = KEY_CACHE_MS - 1;
    expect((await lookupKey(env.KV, key, remembered))?.record.status).toBe("active");
    now = KEY_CACHE_MS;
    expect((await lookupKey(env.KV, key, remembered))?.record.status).toBe("disabled");

    const later = `as_${crypto.randomUUID()}`;
    expect(await lookupKey(env.KV, later, remembered)).toBeNull();
    await createKey(env.KV, { tenant: "acme", tier: "free", key: later });
    now += UNKNOWN_KEY_CACHE_MS - 1;
    expect(await lookupKey(env.KV, later, remembered)).toBeNull();
    now += 1;
    expect((await lookupKey(env.KV, later, remembered))?.record.tenant_id).toBe("acme");
  });
});
