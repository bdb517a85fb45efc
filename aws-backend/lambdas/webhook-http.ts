/**
 * The webhook's HTTP client: one POST whose connection goes only to an address that was checked.
 * The check lives in the socket's own lookup, so the name is resolved once and the address
 * connected to is the address judged: no second resolution (DNS rebinding) can differ. An IP
 * literal is never looked up; callbackUrlProblem judges it before this is called.
 */
import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connectAddressProblem } from "../../shared/callback-url.ts";

/** Resolves a host name to all its addresses (dns.promises.lookup with `all: true` in production). */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

/** The system resolver, every address of the name. */
export const systemResolveHost: ResolveHost = (hostname) => lookup(hostname, { all: true });

export class WebhookRefusedError extends Error {
  override readonly name = "WebhookRefusedError";
}

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowLoopback: boolean;
  resolveHost: ResolveHost;
}

/** The answer's status; refuses (WebhookRefusedError) when any address of the host is not public. */
export function postWebhook(post: WebhookPost): Promise<number> {
  const url = new URL(post.url);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: { ...post.headers, "content-length": String(Buffer.byteLength(post.body)) },
        timeout: post.timeoutMs,
        lookup: (hostname, options, callback) => {
          post.resolveHost(hostname).then(
            (addresses) => {
              // Every address, not only the one used: a name with one private address is refused.
              const problem = addresses.length === 0 ? "does not resolve" : addresses.map((a) => connectAddressProblem(a.address, post)).find(Boolean);
              if (problem) return callback(new WebhookRefusedError(`callback_url ${problem}`), "", 4);
              if (options.all) return (callback as unknown as (err: null, all: LookupAddress[]) => void)(null, addresses);
              callback(null, addresses[0]!.address, addresses[0]!.family);
            },
            (err: Error) => callback(err as NodeJS.ErrnoException, "", 4),
          );
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`callback gave no answer in ${post.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(post.body);
  });
}
