/**
 * `npm run keys -- create --tenant NAME --tier free|basic|premium [--default-language es]` prints a new API key (shown
 * once; only its hash is stored). `revoke --key-id ID` (or `--key KEY`) disables one; `list`
 * shows them. Local dev state by default (works while `npm run dev` runs); `--remote` (with
 * `--env production`) for the deployed namespace.
 */
import { parseArgs } from "node:util";
import { SENTIMENT_LANGUAGES, isSentimentLanguage } from "../shared/comprehend.ts";
import { PLAN_LIMIT_NAMES, TIERS, planOf, type PlanLimitName, type PlanLimits, type Tier } from "../shared/tiers.ts";
import { API_KEY_PREFIX, createKey, hashKey, KEY_CHANGE_BOUND, keyIdOf, setKeyStatus, type ApiKeyRecord } from "../worker/auth/api-keys.ts";
import { WranglerKv, kvTargetFromArgs } from "./wrangler-kv.ts";

const USAGE = `usage: npm run keys -- <create|revoke|list> [options]
  create --tenant NAME --tier free|basic|premium [--default-language CODE] [--no-fallback] [--share-cache]
         (--default-language: for texts too short to tell, en by default; --no-fallback: 503, not the
         embedded engine's answer, when Comprehend cannot answer; --share-cache: results cached in the
         pool of tenants that opted in, where a hit tells that another tenant sent the same text)
         [--limit NAME=N ...]  this key's own value of a plan limit (requests_per_hour, units_per_hour,
         units_per_day, concurrent_jobs); the tier's otherwise (shared/tiers.ts)
  revoke --key-id ID | --key KEY
  list
  common: --remote [--env production]   (default: local dev state)`;

/** `--limit units_per_hour=50000` (repeatable): the key's own value of a plan limit. */
function limitOverrides(pairs: string[]): Partial<PlanLimits> {
  const limits: Partial<PlanLimits> = {};
  for (const pair of pairs) {
    const [name, value] = pair.split("=");
    if (!(PLAN_LIMIT_NAMES as readonly string[]).includes(name ?? "") || !/^\d{1,12}$/.test(value ?? "")) fail(`--limit NAME=N, NAME one of ${PLAN_LIMIT_NAMES.join(", ")}`);
    limits[name as PlanLimitName] = Number(value);
  }
  return limits;
}

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    tenant: { type: "string" },
    tier: { type: "string" },
    "default-language": { type: "string" },
    "no-fallback": { type: "boolean" },
    "share-cache": { type: "boolean" },
    limit: { type: "string", multiple: true },
    key: { type: "string" },
    "key-id": { type: "string" },
    remote: { type: "boolean" },
    env: { type: "string" },
    "persist-to": { type: "string" },
  },
});
const kv = new WranglerKv(kvTargetFromArgs(values));

switch (positionals[0]) {
  case "create": {
    if (!values.tenant || !/^[\w.-]{1,64}$/.test(values.tenant)) fail("--tenant NAME is required (letters, digits, . _ -)");
    if (!TIERS.includes(values.tier as Tier)) fail(`--tier must be one of ${TIERS.join(", ")}`);
    const defaultLanguage = values["default-language"];
    if (defaultLanguage !== undefined && !isSentimentLanguage(defaultLanguage)) fail(`--default-language must be one of ${SENTIMENT_LANGUAGES.join(", ")}`);
    const limits = limitOverrides(values.limit ?? []);
    const { key, record } = await createKey(kv, {
      tenant: values.tenant,
      tier: values.tier as Tier,
      key: values.key,
      defaultLanguage,
      fallback: values["no-fallback"] ? false : undefined,
      shareCache: values["share-cache"] === true,
      limits,
    });
    console.log(
      `key:       ${key}\nkey_id:    ${record.key_id}\ntenant:    ${record.tenant_id}\ntier:      ${record.tier}\ndefault language: ${record.default_language ?? "en"}\nfallback:  ${record.fallback === false ? "off (503)" : "embedded engine"}\ncache:     ${record.cache_sharing ? "shared with the tenants that opted in" : "this tenant's own"}\nlimits:    ${Object.entries(planOf(record)).map(([name, value]) => `${name} ${value}`).join(", ")}\n\nStore the key now: it is not shown again (only its hash is kept).`,
    );
    break;
  }
  case "revoke": {
    let hash: string | undefined;
    if (values.key) hash = hashKey(values.key);
    else if (values["key-id"]) {
      const match = (await kv.list(API_KEY_PREFIX)).find((e) => keyIdOf(e.name.slice(API_KEY_PREFIX.length)) === values["key-id"]);
      hash = match?.name.slice(API_KEY_PREFIX.length);
    } else fail("--key-id ID or --key KEY is required");
    if (!hash || !(await setKeyStatus(kv, hash, "disabled"))) fail("no such key");
    console.log(`revoked ${keyIdOf(hash)}: requests with it get 403 within ${KEY_CHANGE_BOUND}`);
    break;
  }
  case "list": {
    const entries = await kv.list(API_KEY_PREFIX);
    console.log(["key_id", "tenant", "tier", "status", "created_at"].join("\t"));
    for (const { name, metadata } of entries) {
      const r = metadata as Partial<ApiKeyRecord> | undefined;
      console.log([keyIdOf(name.slice(API_KEY_PREFIX.length)), r?.tenant_id ?? "?", r?.tier ?? "?", r?.status ?? "?", r?.created_at ?? "?"].join("\t"));
    }
    break;
  }
  default:
    fail(positionals[0] ? `unknown command ${positionals[0]}` : "a command is required");
}
