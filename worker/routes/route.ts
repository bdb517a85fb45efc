/**
 * What each route module declares about itself: enough for /openapi.json to describe it from
 * the same zod schemas the route validates with.
 */
import type { z } from "zod";

export interface RouteSpec {
  method: "get" | "post";
  path: string;
  summary: string;
  description?: string;
  authenticated: boolean;
  request?: z.ZodType;
  response: { status: number; schema: z.ZodType; contentType?: string };
  /** Error codes this route can answer with (all in the one error shape). */
  errors: string[];
}
