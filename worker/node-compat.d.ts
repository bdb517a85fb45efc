/**
 * The piece of Node's API the Worker uses through nodejs_compat (workerd implements it). Declared
 * here instead of pulling all of @types/node into the Worker's types.
 */
declare module "node:crypto" {
  interface Hash {
    update(data: string, encoding: "utf8"): Hash;
    digest(encoding: "hex" | "base64"): string;
  }
  export function createHash(algorithm: "sha256"): Hash;
}
