// Ties the Workers runtime types to this project: `env` and `exports` from cloudflare:workers
// (and cloudflare:test) are typed by the bindings and the main module.
type AuraStreamBindings = import("./bindings.ts").Bindings;

declare namespace Cloudflare {
  interface Env extends AuraStreamBindings {}
  interface GlobalProps {
    mainModule: typeof import("./index.ts");
    durableNamespaces: "RateLimiter";
  }
}
