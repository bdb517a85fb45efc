/**
 * Where a job's webhook may go: https to a public host (SSRF). One address classifier for every
 * spelling of an address: ipaddr.js parses it (IPv4 in any form the URL parser leaves, IPv6 in
 * any compression), then an address is public only when it is ordinary unicast, and an IPv6
 * address that carries an IPv4 one (IPv4-mapped, NAT64, 6to4) is judged by the IPv4 address it
 * reaches. Anything ipaddr.js does not call unicast (private, loopback, link-local, ULA, CGNAT,
 * multicast, unspecified, documentation, Teredo, ...) is refused: it fails closed.
 *
 * The Worker checks the URL at submission; the webhook Lambda checks it again and checks every
 * address its HTTP client connects to (aws-backend/lambdas/webhook-http.ts).
 */
import ipaddr from "ipaddr.js";

export type AddressClass = "public" | "loopback" | "internal";

/** How an IP address is reached: public, this machine, or anything else not public. null: not an IP address. */
export function classifyAddress(address: string): AddressClass | null {
  const literal = address.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(literal)) return null;
  return classifyParsed(ipaddr.parse(literal));
}

function classifyParsed(parsed: ipaddr.IPv4 | ipaddr.IPv6): AddressClass {
  if (parsed.kind() === "ipv4") return classOfRange(parsed.range());
  const v6 = parsed as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) return classifyParsed(embedded);
  const range = v6.range();
  // ::/96 (IPv4-compatible, deprecated) is reported as unicast by ipaddr.js: no public host uses it.
  const compatible = range === "unicast" && v6.parts.slice(0, 6).every((part) => part === 0);
  return compatible ? "internal" : classOfRange(range);
}

const classOfRange = (range: string): AddressClass => (range === "unicast" ? "public" : range === "loopback" ? "loopback" : "internal");

/** The IPv4 address an IPv6 one reaches through a translation that is globally routed. */
function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = v6.range();
  const p = v6.parts;
  const fromParts = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  if (range === "ipv4Mapped") return v6.toIPv4Address();
  // 64:ff9b::/96, the well-known NAT64 prefix (its /48 local-use sibling stays "internal").
  if (range === "rfc6052" && p[1] === 0xff9b && p[2] === 0) return fromParts(p[6]!, p[7]!);
  if (range === "6to4") return fromParts(p[1]!, p[2]!);
  return null;
}

/** Why a URL is refused as a callback, or null when it is acceptable. Loopback over http only when allowed (local dev). */
export function callbackUrlProblem(raw: string, options: { allowLoopback: boolean }): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (url.username || url.password) return "must not carry credentials";
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must use https";
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const addressClass = classifyAddress(host) ?? classifyName(host);
  if (addressClass === "loopback") return options.allowLoopback ? null : "must not point at this machine";
  if (url.protocol !== "https:") return "must use https";
  if (addressClass === "internal") return "must point at a public host";
  return null;
}

/** A host name's class by its name alone (its addresses are checked when the webhook connects). */
function classifyName(host: string): AddressClass {
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback";
  // Single-label names and reserved suffixes resolve inside a network, not on the internet.
  if (!host.includes(".") || /\.(internal|local|localdomain|home\.arpa|lan|intranet|corp)$/.test(host)) return "internal";
  return "public";
}

/** Why a resolved address may not be connected to, or null when it may. */
export function connectAddressProblem(address: string, options: { allowLoopback: boolean }): string | null {
  const addressClass = classifyAddress(address) ?? "internal";
  if (addressClass === "public") return null;
  if (addressClass === "loopback" && options.allowLoopback) return null;
  return addressClass === "loopback" ? "resolves to this machine" : "resolves to a private address";
}
