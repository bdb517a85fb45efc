/**
 * Where a job's webhook may go: https to a public host. Loopback, private, link-local, CGNAT
 * and cloud metadata addresses are refused (SSRF); loopback over http only when allowed (local
 * dev). Returns why a URL is refused, or null when it is acceptable.
 */
export function callbackUrlProblem(raw: string, options: { allowLoopback: boolean }): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (url.username || url.password) return "must not carry credentials";
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const loopback = host === "localhost" || host.endsWith(".localhost") || isLoopbackAddress(host);
  if (loopback) return options.allowLoopback ? null : "must not point at this machine";
  if (url.protocol !== "https:") return "must use https";
  if (isPrivateAddress(host)) return "must point at a public host";
  if (host === "metadata.google.internal" || host.endsWith(".internal") || host.endsWith(".local")) return "must point at a public host";
  return null;
}

export function isLoopbackAddress(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1" || host === "0:0:0:0:0:0:0:1";
}

/** Literal addresses that are not public: private, link-local (metadata), CGNAT, unspecified, ULA. */
export function isPrivateAddress(host: string): boolean {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224
    );
  }
  if (host.includes(":")) {
    const h = host.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return isPrivateAddress(mapped[1]!);
    return h === "::" || h === "::1" || /^f[cd]/.test(h) || /^fe[89ab]/.test(h);
  }
  return false;
}
