import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.ts";

/** A caller's X-Request-Id is kept when it is a sane token; otherwise one is made. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const given = c.req.header("x-request-id");
  const id = given && SANE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
  c.set("requestId", id);
  c.header("X-Request-Id", id);
  await next();
});
