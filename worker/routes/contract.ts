/**
 * What a route file declares its contract with: `createRoute` (@hono/zod-openapi) from the
 * shared zod schemas, plus the pieces every route repeats. A route registered on the app is
 * both served and described in /openapi.json, so the two cannot disagree.
 */
import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { z } from "zod";
import type { Bindings } from "../bindings.ts";
import type { Config } from "../config.ts";
import type { AppEnv } from "../context.ts";
import { ERROR_STATUS, type ErrorCode } from "../errors.ts";
import { throwOnInvalid } from "../middleware/validate.ts";
import type { Services } from "../services.ts";

export { createRoute } from "@hono/zod-openapi";

export type Api = OpenAPIHono<AppEnv>;

/** The app every route registers on; a validation failure anywhere is the API's 400. */
export function createApi(): Api {
  return new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });
}

/** What a route's register function may be given besides the app. */
export interface RouteDeps {
  servicesFor: (config: Config, env: Bindings) => Services;
}

/** A route file's export: it registers its route(s) on the app. */
export type RegisterRoute = (app: Api, deps: RouteDeps) => void;

/** Routes behind an API key. */
export const API_KEY_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { apiKey: [] }];

export const SECURITY_SCHEMES = {
  bearer: { type: "http", scheme: "bearer" },
  apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
} as const;

export function jsonContent<T extends z.ZodType>(schema: T) {
  return { "application/json": { schema } } as const;
}

/** Every error answer's body: the one shape, as a component of the document (routes/openapi.ts registers it). */
export const ERROR_SCHEMA_REF = { $ref: "#/components/schemas/Error" } as const;

/** The error answers a route can give, grouped by status, all in the one error shape. */
export function errorResponses(codes: readonly ErrorCode[]): RouteConfig["responses"] {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [status, { description: list.join(" or "), content: { "application/json": { schema: ERROR_SCHEMA_REF } } }]),
  );
}

/** The answers of every authenticated route, before its own. */
export const AUTHENTICATED_ERRORS = ["UNAUTHORIZED", "FORBIDDEN", "RATE_LIMIT_EXCEEDED", "CONFIG_ERROR"] as const satisfies readonly ErrorCode[];
/** ... and of every route whose work bills Comprehend units: the plan's unit and job limits (429; 413 for a request no window could hold is among BODY_ERRORS). */
export const SPEND_ERRORS = ["QUOTA_EXCEEDED", "SERVICE_UNAVAILABLE"] as const satisfies readonly ErrorCode[];
/** ... and of every route with a body. */
export const BODY_ERRORS = ["VALIDATION_ERROR", "REQUEST_TIMEOUT", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"] as const satisfies readonly ErrorCode[];
