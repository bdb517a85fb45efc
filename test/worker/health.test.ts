import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";

describe("GET /health", () => {
  it("answers 200 healthy with every component up, and a request id", async () => {
    const res = await exports.default.fetch("http://edge/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const body = await res.json<{ status: string; components: Record<string, { status: string }>; version: string }>();
    expect(body.status).toBe("healthy");
    expect(body.version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const name of ["config", "kv", "rate_limiter"]) expect(body.components[name]?.status).toBe("up");
  });

  it("keeps a sane caller request id and replaces an unsafe one", async () => {
    const kept = await exports.default.fetch("http://edge/health", { headers: { "x-request-id": "trace-12345678" } });
    expect(kept.headers.get("x-request-id")).toBe("trace-12345678");
    const replaced = await exports.default.fetch("http://edge/health", { headers: { "x-request-id": "<script>" } });
    expect(replaced.headers.get("x-request-id")).not.toBe("<script>");
  });

  it("answers unknown routes 404 in the error shape", async () => {
    const res = await exports.default.fetch("http://edge/nope");
    expect(res.status).toBe(404);
    const body = await res.json<{ error: { code: string; request_id: string } }>();
    expect(body.error.code).toBe("NOT_FOUND");
    expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
  });
});
