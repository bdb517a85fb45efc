// Ties the Workers runtime types to this project: `env` and `exports` from cloudflare:workers
// (and cloudflare:test) are typed by the bindings and the main module.
declare namespace Cloudflare {
  interface Env extends import("./config.ts").Bindings {}
  interface GlobalProps {
    mainModule: typeof import("./index.ts");
    durableNamespaces: "RateLimiter";
  }
}
