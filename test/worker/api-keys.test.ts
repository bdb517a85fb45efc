/** API keys in real KV (workerd): found by the key, stored only as a hash. */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createKey, hashKey, lookupKey, setKeyStatus } from "../../worker/auth/api-keys.ts";

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
});
