/** The Hono environment every route shares: bindings plus per-request variables. */
import type { ApiKeyRecord } from "./auth/api-keys.ts";
import type { Bindings } from "./bindings.ts";
import type { Config } from "./config.ts";
import type { LimitDecision } from "./rate-limiter/durable-object.ts";
import type { JobFormat } from "../shared/jobs.ts";
import type { Services } from "./services.ts";
import type { UnitBudget } from "./rate-limiter/spend.ts";

/** Fields a route adds to the request's log line (never text, never the key). */
export interface LogFields {
  cache?: "hit" | "miss" | "partial";
  comprehend_ms?: number;
  units?: number;
  items?: number;
  error?: string;
}

/** The media types a body may come in (middleware/body.ts checks them). */
export type BodyFormat = "json" | Extract<JobFormat, "csv" | "jsonl">;

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    config: Config;
    services: Services;
    /** The caller's key, once authenticated; `hash` names its rate-limiter object. */
    apiKey: { hash: string; record: ApiKeyRecord };
    rateLimit: LimitDecision;
    /** Comprehend units this request took from its key's limits (rate-limiter/spend.ts), once it takes any. */
    unitBudget?: UnitBudget;
    log: LogFields;
    /** The body's media type, once middleware/body.ts has checked it. */
    bodyFormat: BodyFormat;
    /** A CSV or JSON-lines body as text (a JSON body is parsed into Hono's body cache instead). */
    payload: string;
  };
}
