/**
 * Headers that keep a browser from misusing any answer (hono's secureHeaders): nosniff, no
 * framing, no referrer, and a Content-Security-Policy that allows nothing, since no API answer
 * is a page. The one page, /docs, sets its own policy naming its inline script and style by
 * hash (pagePolicy); a header a route sets is kept.
 */
import { secureHeaders } from "hono/secure-headers";
import { sha256Base64 } from "../../shared/hash.ts";

const NOTHING = ["'none'"];

export const securityHeaders = secureHeaders({
  contentSecurityPolicy: { defaultSrc: NOTHING, frameAncestors: NOTHING, baseUri: NOTHING, formAction: NOTHING },
  xFrameOptions: "DENY",
  overwrite: false,
});

const sha256Source = (text: string) => `'sha256-${sha256Base64(text)}'`;

/** The Content-Security-Policy of a page whose only script and style are these inline ones; it may fetch from its own origin. */
export function pagePolicy(inline: { script: string; style: string }): string {
  return [
    "default-src 'none'",
    `script-src ${sha256Source(inline.script)}`,
    `style-src ${sha256Source(inline.style)}`,
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}
