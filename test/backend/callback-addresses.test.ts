/**
 * The webhook address classifier (shared/callback-url.ts): a table of the spellings an attacker
 * would use to aim a callback inside, and a property-based test that anything it calls public
 * lies outside the reserved ranges, written here from IANA's special-purpose registries rather
 * than taken from the library the classifier uses.
 */
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { callbackUrlProblem, classifyAddress } from "../../shared/callback-url.ts";

const strict = { allowLoopback: false };

describe("callback URLs aimed inside are refused, in every spelling", () => {
  it.each([
    ["metadata, IPv4-mapped IPv6 in hex", "https://[::ffff:a9fe:a9fe]/"],
    ["metadata, IPv4-mapped IPv6 dotted", "https://[::ffff:169.254.169.254]/"],
    ["metadata, IPv4-mapped IPv6 fully written", "https://[0:0:0:0:0:ffff:a9fe:a9fe]/"],
    ["metadata, IPv4-compatible IPv6", "https://[::a9fe:a9fe]/"],
    ["metadata, SIIT (rfc6145)", "https://[::ffff:0:a9fe:a9fe]/"],
    ["metadata through NAT64", "https://[64:ff9b::a9fe:a9fe]/"],
    ["metadata through NAT64, dotted", "https://[64:ff9b::169.254.169.254]/"],
    ["local-use NAT64", "https://[64:ff9b:1::a9fe:a9fe]/"],
    ["metadata through 6to4", "https://[2002:a9fe:a9fe::1]/"],
    ["metadata, hex parts", "https://0xa9.0xfe.0xa9.0xfe/"],
    ["metadata, one decimal", "https://2852039166/"],
    ["metadata, dotted", "https://169.254.169.254/latest/meta-data/"],
    ["Teredo", "https://[2001::a9fe:a9fe]/"],
    ["link-local IPv6", "https://[fe80::1]/"],
    ["unique local IPv6", "https://[fd12:3456::1]/"],
    ["multicast IPv6", "https://[ff02::1]/"],
    ["unspecified IPv6", "https://[::]/"],
    ["unspecified IPv4", "https://0.0.0.0/"],
    ["private 10/8", "https://10.1.2.3/"],
    ["private 172.16/12", "https://172.31.255.1/"],
    ["private 192.168/16, octal", "https://0300.0250.1.1/"],
    ["CGNAT", "https://100.64.0.1/"],
    ["documentation", "https://192.0.2.10/"],
    ["multicast IPv4", "https://224.0.0.1/"],
    ["broadcast", "https://255.255.255.255/"],
    ["class E", "https://240.0.0.1/"],
    ["cloud metadata name", "https://metadata.google.internal/"],
    ["a single-label name", "https://intranet/hook"],
    ["a .local name", "https://printer.local/"],
  ])("%s: %s", (_, url) => {
    expect(callbackUrlProblem(url, strict)).toBe("must point at a public host");
  });

  it.each([
    ["loopback, IPv4-mapped IPv6 (Lambda's runtime API port)", "https://[::ffff:7f00:1]:9001/"],
    ["loopback IPv6", "https://[::1]/"],
    ["loopback, one decimal", "https://2130706433/"],
    ["loopback, hex", "https://0x7f000001/"],
    ["loopback, short form", "https://127.1/"],
    ["loopback through NAT64", "https://[64:ff9b::7f00:1]/"],
    ["localhost", "https://localhost/"],
    ["a localhost subdomain", "https://api.localhost/"],
  ])("%s: %s", (_, url) => {
    expect(callbackUrlProblem(url, strict)).toBe("must not point at this machine");
  });

  it.each([
    ["a public name", "https://hooks.example.com/done"],
    ["a public IPv4", "https://8.8.8.8/"],
    ["a public IPv6", "https://[2606:4700:4700::1111]/"],
    ["a public IPv4, IPv4-mapped", "https://[::ffff:8.8.8.8]/"],
    ["a public IPv4 through NAT64", "https://[64:ff9b::808:808]/"],
    ["a public IPv4 through 6to4", "https://[2002:808:808::1]/"],
  ])("%s is accepted: %s", (_, url) => {
    expect(callbackUrlProblem(url, strict)).toBeNull();
  });

  it("plain http, credentials and other schemes are refused", () => {
    expect(callbackUrlProblem("http://hooks.example.com/", strict)).toBe("must use https");
    expect(callbackUrlProblem("ftp://hooks.example.com/", strict)).toBe("must use https");
    expect(callbackUrlProblem("https://user:pw@hooks.example.com/", strict)).toBe("must not carry credentials");
    expect(callbackUrlProblem("http://127.0.0.1:8080/hook", { allowLoopback: true })).toBeNull();
  });
});

// IANA IPv4 and IPv6 special-purpose address registries, plus multicast and 240/4: none of
// these is an address a public webhook receiver has.
const RESERVED_V4 = [
  "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
  "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
  "224.0.0.0/4", "240.0.0.0/4",
];
const RESERVED_V6 = ["::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:2::/48", "2001:10::/28", "2001:20::/28", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8"];
const inRanges = (address: string, cidrs: string[]) => {
  const parsed = ipaddr.parse(address);
  return cidrs.some((cidr) => {
    const [range, bits] = ipaddr.parseCIDR(cidr);
    return range.kind() === parsed.kind() && parsed.match(range, bits);
  });
};
/** The IPv4 address an IPv6 one translates to, in the prefixes that translate (mapped, SIIT, NAT64, 6to4). */
function embedded(address: string): string | null {
  const p = (ipaddr.parse(address) as ipaddr.IPv6).parts;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (p.slice(0, 5).every((x) => x === 0) && p[5] === 0xffff) return v4(p[6]!, p[7]!);
  if (p[0] === 0x64 && p[1] === 0xff9b && p.slice(2, 6).every((x) => x === 0)) return v4(p[6]!, p[7]!);
  if (p[0] === 0x2002) return v4(p[1]!, p[2]!);
  return null;
}
const reserved = (address: string): boolean => {
  if (address.includes(":")) {
    const v4 = embedded(address);
    if (v4) return reserved(v4);
    return inRanges(address, RESERVED_V6);
  }
  return inRanges(address, RESERVED_V4);
};

/** Addresses inside the reserved ranges (random host bits), beside fully random ones. */
const insideReserved = fc.constantFrom(...RESERVED_V4, ...RESERVED_V6).chain((cidr) => {
  const [base, bits] = ipaddr.parseCIDR(cidr);
  const bytes = base.toByteArray();
  return fc.array(fc.integer({ min: 0, max: 255 }), { minLength: bytes.length, maxLength: bytes.length }).map((noise) => {
    const mixed = bytes.map((b, i) => {
      const kept = Math.max(0, Math.min(8, bits - i * 8));
      const mask = (0xff << (8 - kept)) & 0xff;
      return (b & mask) | (noise[i]! & ~mask & 0xff);
    });
    return ipaddr.fromByteArray(mixed).toString();
  });
});
const anyAddress = fc.oneof(fc.ipV4(), fc.ipV6(), insideReserved, fc.ipV4().map((v4) => `::ffff:${v4}`), insideReserved.filter((a) => !a.includes(":")).map((v4) => `64:ff9b::${v4}`));

describe("the address classifier", () => {
  it("calls nothing public that lies in a reserved range, in any spelling", () => {
    fc.assert(
      fc.property(anyAddress, (address) => {
        const addressClass = classifyAddress(address);
        expect(addressClass).not.toBeNull();
        if (addressClass === "public") expect(reserved(address)).toBe(false);
      }),
      { numRuns: 20_000 },
    );
  });

  it("judges an IPv4 address and its IPv4-mapped, NAT64 and written-out URL forms alike", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), insideReserved.filter((a) => !a.includes(":"))), (v4) => {
        const expected = classifyAddress(v4);
        const hex = ipaddr.parse(v4).toByteArray().map((b) => b.toString(16).padStart(2, "0")).join("");
        expect(classifyAddress(`::ffff:${v4}`)).toBe(expected);
        expect(classifyAddress(`::ffff:${hex.slice(0, 4)}:${hex.slice(4)}`)).toBe(expected);
        expect(classifyAddress(`64:ff9b::${v4}`)).toBe(expected);
        // The URL parser turns one-number and hex IPv4 hosts into dotted ones.
        expect(classifyAddress(new URL(`https://0x${hex}/`).hostname)).toBe(expected);
      }),
      { numRuns: 5_000 },
    );
  });
});
