/**
 * The Worker's KV namespace reached through the wrangler CLI, for operator commands run in
 * Node: `--local` is the state `wrangler dev` (and so `npm run dev`) uses, `--remote` the
 * deployed namespace. It implements the small store interfaces the key and cache modules take.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface KvTarget {
  remote: boolean;
  /** A wrangler environment (e.g. production). */
  env?: string;
  /** Local state directory (default: wrangler's own, .wrangler/state). */
  persistTo?: string;
}

export class WranglerKv {
  constructor(private readonly target: KvTarget) {}

  async get(key: string, _type: "json"): Promise<unknown> {
    const out = this.run(["key", "get", key, "--text"]);
    if (/^Value not found\s*$/m.test(out)) return null;
    return JSON.parse(out.slice(out.indexOf("{")));
  }

  async put(key: string, value: string, options: { metadata?: unknown; expirationTtl?: number } = {}): Promise<void> {
    const extra = [
      ...(options.metadata !== undefined ? ["--metadata", JSON.stringify(options.metadata)] : []),
      ...(options.expirationTtl !== undefined ? ["--ttl", String(options.expirationTtl)] : []),
    ];
    this.run(["key", "put", key, value, ...extra]);
  }

  async delete(key: string): Promise<void> {
    this.run(["key", "delete", key]);
  }

  async list(prefix: string): Promise<{ name: string; metadata?: unknown }[]> {
    const out = this.run(["key", "list", "--prefix", prefix]);
    return JSON.parse(out.slice(out.indexOf("[")));
  }

  private run(args: string[]): string {
    const flags = [
      "--binding", "KV",
      this.target.remote ? "--remote" : "--local",
      ...(this.target.env ? ["--env", this.target.env] : []),
      ...(this.target.persistTo && !this.target.remote ? ["--persist-to", this.target.persistTo] : []),
    ];
    return execFileSync(process.execPath, [`${root}node_modules/wrangler/bin/wrangler.js`, "kv", ...args, ...flags], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", ...(this.target.remote ? {} : { CLOUDFLARE_CF_FETCH_ENABLED: "false" }) },
    });
  }
}

/** `--remote`, `--env NAME`, `--persist-to DIR` from argv. */
export function kvTargetFromArgs(args: Record<string, string | string[] | boolean | undefined>): KvTarget {
  return {
    remote: args.remote === true,
    env: typeof args.env === "string" ? args.env : undefined,
    persistTo: typeof args["persist-to"] === "string" ? args["persist-to"] : undefined,
  };
}
