/** Every worker test file starts with the local dev key (premium) in its KV, as `npm run dev` does. */
import { env } from "cloudflare:workers";
import { createKey, LOCAL_DEV_KEY, LOCAL_DEV_TENANT } from "../../worker/auth/api-keys.ts";

await createKey(env.KV, { key: LOCAL_DEV_KEY, tenant: LOCAL_DEV_TENANT, tier: "premium" });
