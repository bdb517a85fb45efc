/** The Hono environment every route shares: bindings plus per-request variables. */
import type { Bindings, Config } from "./config.ts";

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    config: Config;
  };
}
