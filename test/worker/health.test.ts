import { describe, expect, it } from "vitest";
import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { app, call } from "./helpers.ts";

describe("GET /health (liveness)", () => {
  it("answers 200 live with the version and a request id, probing nothing", async () => {
    const res = await call("/health", { key: null, env: { AWS_ENDPOINT_URL: "http://127.0.0.1:9", KV: undefined as never } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const body = await res.json<{ status: string; version: string }>();
    expect(body).toEqual({ status: "live", version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
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

type Readiness = { status: string; checked_at: string; components: Record<string, { status: string; error?: string }> };

describe("GET /health/ready (readiness)", () => {
  it("answers 200 healthy with every component up", async () => {
    const res = await exports.default.fetch("http://edge/health/ready");
    expect(res.status).toBe(200);
    const body = await res.json<Readiness>();
    expect(body.status).toBe("healthy");
    for (const name of ["config", "kv", "rate_limiter", "comprehend"]) expect(body.components[name]?.status).toBe("up");
  });

  it("is degraded but 200 when Comprehend cannot be reached: cached and fallback answers still work", async () => {
    const res = await call("/health/ready", { key: null, env: { AWS_ENDPOINT_URL: "http://127.0.0.1:9" } });
    expect(res.status).toBe(200);
    const body = await res.json<Readiness>();
    expect(body.status).toBe("degraded");
    expect(body.components.comprehend?.status).toBe("down");
    expect(body.components.kv?.status).toBe("up");
  });

  it("calls a probe that does not answer in time slow, not down, and the service degraded, not unhealthy", async () => {
    const slowKv = { ...env.KV, get: () => new Promise((resolve) => setTimeout(() => resolve(null), 3_000)) } as unknown as KVNamespace;
    const res = await call("/health/ready", { key: null, env: { KV: slowKv } });
    expect(res.status).toBe(200);
    const body = await res.json<Readiness>();
    expect(body).toMatchObject({ status: "degraded", components: { kv: { status: "slow" }, comprehend: { status: "up" } } });
  });

  it("is unhealthy (503) naming the variable when the configuration is invalid", async () => {
    const res = await call("/health/ready", { key: null, env: { AWS_REGION: "mars" } });
    expect(res.status).toBe(503);
    const body = await res.json<Readiness>();
    expect(body.status).toBe("unhealthy");
    expect(body.components.config?.error).toMatch(/^AWS_REGION/);
  });

  it("probes once for many checks: answers are shared for a few seconds", async () => {
    let reads = 0;
    const countingKv = { get: async () => (reads++, null) } as unknown as KVNamespace;
    const bindings = { ...env, KV: countingKv };
    const answers = await Promise.all(Array.from({ length: 20 }, () => app.fetch(new Request("http://edge/health/ready"), bindings, createExecutionContext())));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const times = new Set(await Promise.all(answers.map(async (r) => (await r.json<Readiness>()).checked_at)));
    expect(times.size).toBe(1);
    expect(reads).toBe(1);
  });
});

describe("configuration and unexpected failures", () => {
  it("answers 500 CONFIG_ERROR naming a missing variable instead of crashing", async () => {
    const res = await call("/v1/analyze/sync", { body: { text: "hello" }, env: { DLQ_URL: undefined } });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: "CONFIG_ERROR", field: "DLQ_URL" } });
  });

  it("answers 500 INTERNAL_ERROR in the error shape, without the failure's message, when a binding throws", async () => {
    const brokenKv = {
      get: () => {
        throw new Error("kv exploded while reading secret-detail");
      },
    };
    const res = await call("/v1/usage", { env: { KV: brokenKv as unknown as KVNamespace } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: "INTERNAL_ERROR", request_id: res.headers.get("x-request-id") } });
    expect(text).not.toContain("secret-detail");
    expect(text).not.toMatch(/at .*\.ts/);
  });
});

describe("GET /openapi.json and /docs", () => {
  it("describes every route from the shared schemas", async () => {
    const doc = await (await call("/openapi.json", { key: null })).json<Record<string, any>>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/",
      "/health",
      "/health/ready",
      "/v1/analyze",
      "/v1/analyze/async",
      "/v1/analyze/batch",
      "/v1/analyze/sync",
      "/v1/jobs",
      "/v1/jobs/{job_id}/results",
      "/v1/status/{job_id}",
      "/v1/usage",
    ]);
    const sync = doc.paths["/v1/analyze/sync"].post;
    const request = sync.requestBody.content["application/json"].schema;
    expect(request.required).toEqual(["text"]);
    expect(request.properties.options.properties.pii.enum).toEqual(["redact", "detect", "off"]);
    expect(sync.responses["200"].content["application/json"].schema.required).toEqual(
      expect.arrayContaining(["sentiment", "score", "language_code", "pii_detected", "cached", "processing_time_ms", "request_id"]),
    );
    expect(Object.keys(sync.responses)).toEqual(expect.arrayContaining(["400", "401", "403", "413", "415", "429", "503"]));
    expect(doc.components.schemas.Error.properties.error.required).toEqual(["code", "message", "request_id"]);
    expect(sync.responses["429"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    // Path parameters are declared once, in the route's contract, and documented.
    expect(doc.paths["/v1/status/{job_id}"].get.parameters).toEqual([expect.objectContaining({ name: "job_id", in: "path", required: true })]);
    expect(doc.paths["/v1/analyze/async"].post.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["callback_url", "default_language", "language_code", "pii", "source_id"]);
  });

  it("serves a docs page", async () => {
    const res = await call("/docs", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(await res.text()).toContain("/openapi.json");
  });
});
