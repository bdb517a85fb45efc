/**
 * HTTP as a misbehaving client speaks it, over a raw socket (node:net): a declared length the
 * body never reaches, a body that stalls, one longer than declared, a connection dropped
 * mid-body. Used against the Worker's real HTTP servers (workerd under Miniflare, and
 * `npm run dev`'s wrangler dev) to show every such request is answered, and how soon.
 */
import { connect } from "node:net";

export interface RawAnswer {
  /** The status of the first answer, or null if none came before `waitMs`. */
  status: number | null;
  /** Milliseconds from the last byte sent to the answer's status line (or to giving up). */
  ms: number;
  /** The first answer's body, as far as it came. */
  body: string;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers: Record<string, string>;
  /** Sent right after the headers. */
  body?: string;
  /** Then the socket is left open (stall) or half-closed (end: the client has no more to send). */
  then?: "stall" | "end";
  /** How long to wait for an answer before giving up. */
  waitMs: number;
}

/** Sends one raw request to `url`'s host and port and reads the first answer's status line and body. */
export function rawRequest(url: string, req: RawRequest): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
    let received = "";
    let sentAt = 0;
    let settled = false;
    const finish = (status: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const headerEnd = received.indexOf("\r\n\r\n");
      resolve({ status, ms: Math.round(performance.now() - sentAt), body: headerEnd < 0 ? "" : received.slice(headerEnd + 4) });
    };
    const timer = setTimeout(() => finish(statusOf(received)), req.waitMs);
    socket.on("connect", () => {
      const head = [`${req.method ?? "POST"} ${req.path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n");
      socket.write(head + (req.body ?? ""), () => {
        sentAt = performance.now();
        if (req.then === "end") socket.end();
      });
    });
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      // An answer with a length is complete once its body is in; otherwise wait for the close.
      const status = statusOf(received);
      const headerEnd = received.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(received.slice(0, headerEnd))?.[1];
      if (status !== null && headerEnd >= 0 && length !== undefined && received.length - headerEnd - 4 >= Number(length)) finish(status);
    });
    socket.on("error", () => finish(statusOf(received)));
    socket.on("close", () => finish(statusOf(received)));
  });
}

function statusOf(received: string): number | null {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
  return match ? Number(match[1]) : null;
}

/** A misbehaving request and what the Worker must answer, how soon. */
export interface BodyProbe {
  name: string;
  request: (key: string) => Omit<RawRequest, "waitMs">;
  status: number;
  code: string;
  /** "now": before any deadline; "deadline": once BODY_READ_TIMEOUT_MS has passed, not sooner. */
  when: "now" | "deadline";
  /** What wrangler dev's proxy answers instead, where it differs (not the Worker's doing). */
  viaWranglerDev?: number;
}

const headers = (key: string, extra: Record<string, string>) => ({ authorization: `Bearer ${key}`, "content-type": "application/json", ...extra });

export const BODY_PROBES: BodyProbe[] = [
  { name: "Content-Length 100000, 13 bytes sent", request: (k) => ({ path: "/v1/analyze/sync", headers: headers(k, { "content-length": "100000" }), body: '{"text":"hi"}', then: "stall" }), status: 413, code: "PAYLOAD_TOO_LARGE", when: "now" },
  { name: "Content-Length 2147483648, 13 bytes sent", request: (k) => ({ path: "/v1/analyze/sync", headers: headers(k, { "content-length": "2147483648" }), body: '{"text":"hi"}', then: "stall" }), status: 413, code: "PAYLOAD_TOO_LARGE", when: "now" },
  { name: "Content-Length 500, 16 bytes sent, then silence", request: (k) => ({ path: "/v1/analyze/sync", headers: headers(k, { "content-length": "500" }), body: '{"text":"a short', then: "stall" }), status: 408, code: "REQUEST_TIMEOUT", when: "deadline" },
  { name: "chunked, one chunk, then silence", request: (k) => ({ path: "/v1/analyze/async", headers: headers(k, { "transfer-encoding": "chunked" }), body: '10\r\n{"text":"a slow \r\n', then: "stall" }), status: 408, code: "REQUEST_TIMEOUT", when: "deadline" },
  { name: "Content-Length 500, 12 bytes sent, then FIN", request: (k) => ({ path: "/v1/analyze/sync", headers: headers(k, { "content-length": "500" }), body: '{"text":"cut', then: "end" }), status: 400, code: "VALIDATION_ERROR", when: "now", viaWranglerDev: 503 },
  { name: "Content-Length 8, 43 bytes sent", request: (k) => ({ path: "/v1/analyze/sync", headers: headers(k, { "content-length": "8" }), body: '{"text":"this is longer than eight bytes"}', then: "stall" }), status: 400, code: "VALIDATION_ERROR", when: "now" },
  { name: "wrong media type, Content-Length 1000, 2 bytes sent", request: (k) => ({ path: "/v1/analyze/sync", headers: headers(k, { "content-length": "1000", "content-type": "text/plain" }), body: "hi", then: "stall" }), status: 415, code: "UNSUPPORTED_MEDIA_TYPE", when: "now" },
  { name: "no key, Content-Length 1000, 4 bytes sent", request: () => ({ path: "/v1/analyze/sync", headers: { "content-type": "application/json", "content-length": "1000" }, body: '{"te', then: "stall" }), status: 401, code: "UNAUTHORIZED", when: "now" },
  { name: "PUT, Content-Length 1000, 4 bytes sent", request: (k) => ({ method: "PUT", path: "/v1/analyze/sync", headers: headers(k, { "content-length": "1000" }), body: '{"te', then: "stall" }), status: 405, code: "METHOD_NOT_ALLOWED", when: "now" },
];
