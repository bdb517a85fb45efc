/** POST /v1/analyze/batch, refused as a whole: the request's shape is wrong. */
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";

describe("POST /v1/analyze/batch (errors)", () => {
  it.each([
    ["no items", { items: [] }, "items"],
    ["26 items", { items: Array.from({ length: 26 }, () => ({ text: "ok" })) }, "items"],
    ["a text that is not a string", { items: [{ text: "ok" }, { text: 5 }] }, "items.1.text"],
    ["items that are not objects", { items: ["ok"] }, "items.0"],
    ["a bad option", { items: [{ text: "ok" }], options: { pii: "maybe" } }, "options.pii"],
  ])("refuses %s with 400 naming the field", async (_, payload, field) => {
    const res = await call("/v1/analyze/batch", { body: payload });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", field } });
  });

  it("needs a key and JSON, like every analysis route", async () => {
    expect((await call("/v1/analyze/batch", { key: null, body: { items: [{ text: "ok" }] } })).status).toBe(401);
    expect((await call("/v1/analyze/batch", { body: "ok", contentType: "text/csv" })).status).toBe(415);
  });
});
