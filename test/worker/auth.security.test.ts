/**
 * Authentication fails closed: a malformed or contradictory credential is 401, never passed
 * over; unknown keys are remembered briefly; an address sending made-up keys is slowed to 429.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import { createKey } from "../../worker/auth/api-keys.ts";
import { call, DEV_KEY, newKey } from "./helpers.ts";

const usage = (headers: Record<string, string>, key: string | null = null) => call("/v1/usage", { key, headers });

describe("authentication (security)", () => {
  it.each(["Bearer a b", "Basic dXNlcjpwYXNz", "Bearer", "Token " + DEV_KEY, "Bearer  " + DEV_KEY + " x"])(
    "refuses a malformed Authorization header (%s) instead of falling back to X-API-Key",
    async (authorization) => {
      const res = await usage({ authorization, "x-api-key": DEV_KEY });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "UNAUTHORIZED", message: "The Authorization header must be `Bearer <key>`." } });
    },
  );

  it("refuses Authorization and X-API-Key naming different keys, accepts them naming the same", async () => {
    const other = await newKey("free");
    const res = await usage({ authorization: `Bearer ${other}`, "x-api-key": DEV_KEY });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { message: "Authorization and X-API-Key name different keys: send one." } });
    expect((await usage({ authorization: `Bearer ${DEV_KEY}`, "x-api-key": DEV_KEY })).status).toBe(200);
    expect((await usage({ "x-api-key": DEV_KEY })).status).toBe(200);
    expect((await usage({ authorization: `bearer   ${DEV_KEY}` })).status).toBe(200);
  });

  it("remembers an unknown key for a few seconds: no KV read for its repeats", async () => {
    const key = `as_${crypto.randomUUID()}`;
    expect((await usage({}, key)).status).toBe(401);
    // The key now exists in KV; this isolate still answers from its memory of it as unknown...
    await createKey(env.KV, { tenant: "late", tier: "free", key });
    expect((await usage({}, key)).status).toBe(401);
    // ...while an isolate that never saw it reads KV and lets it in.
    const fresh = createApp();
    expect((await fresh.request("/v1/usage", { headers: { authorization: `Bearer ${key}` } }, env)).status).toBe(200);
  });

  it("answers 429 to an address after 60 unknown keys in a minute; other addresses and keys this isolate knows are not held up", async () => {
    const flooder = { "cf-connecting-ip": "203.0.113.77" };
    expect((await usage(flooder, DEV_KEY)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 65; i++) statuses.push((await usage(flooder, `as_flood_${i}_${crypto.randomUUID()}`)).status);
    expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(61)).toEqual([429, 429, 429, 429]);
    const blocked = await usage(flooder, `as_more_${crypto.randomUUID()}`);
    expect(blocked.status).toBe(429);
    expect(await blocked.json()).toMatchObject({ error: { code: "RATE_LIMIT_EXCEEDED", retry_after: 60 } });
    expect(blocked.headers.get("retry-after")).toBe("60");
    // A key this isolate knows still works from that address; another address still gets 401.
    expect((await usage(flooder, DEV_KEY)).status).toBe(200);
    expect((await usage({ "cf-connecting-ip": "198.51.100.20" }, "as_unknown_elsewhere")).status).toBe(401);
  });
});
