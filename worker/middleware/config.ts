import { createMiddleware } from "hono/factory";
import type { Bindings } from "../bindings.ts";
import { loadConfig, type Config } from "../config.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import type { Services } from "../services.ts";

/** Validated configuration and the clients built from it; a bad variable is a 500 CONFIG_ERROR naming it. */
export function withConfig(servicesFor: (config: Config, env: Bindings) => Services) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const loaded = loadConfig(c.env);
    if (!loaded.ok) {
      throw new ApiError("CONFIG_ERROR", `The service is misconfigured: ${loaded.variable} ${loaded.message}.`, {
        field: loaded.variable,
      });
    }
    c.set("config", loaded.config);
    c.set("services", servicesFor(loaded.config, c.env));
    await next();
  });
}
