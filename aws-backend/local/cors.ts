/**
 * The jobs bucket's CORS rules as S3 applies them, read from the stack's own template (the
 * CorsConfiguration CDK deploys): a browser's preflight (OPTIONS, unsigned) is answered from the
 * first rule that allows its origin, method and headers, or refused with S3's 403; a matching
 * request's answer carries the allow-origin and exposed headers.
 */
import type { Template } from "./iam/template.ts";

export interface CorsRule {
  AllowedMethods: string[];
  AllowedOrigins: string[];
  AllowedHeaders?: string[];
  ExposedHeaders?: string[];
  MaxAge?: number;
}

export function bucketCorsRules(template: Template): CorsRule[] {
  return Object.values(template.Resources)
    .filter((r) => r.Type === "AWS::S3::Bucket")
    .flatMap((r) => (r.Properties?.CorsConfiguration?.CorsRules ?? []) as CorsRule[]);
}

const matches = (patterns: string[] | undefined, value: string) =>
  (patterns ?? []).some((p) => p === "*" || p.toLowerCase() === value.toLowerCase() || (p.includes("*") && new RegExp(`^${p.split("*").map(escape).join(".*")}$`, "i").test(value)));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function ruleFor(rules: CorsRule[], origin: string, method: string, headers: string[]): CorsRule | undefined {
  return rules.find((r) => matches(r.AllowedOrigins, origin) && r.AllowedMethods.includes(method.toUpperCase()) && headers.every((h) => matches(r.AllowedHeaders, h)));
}

/** The preflight's answer headers, or undefined when no rule allows it (S3: 403 AccessForbidden). */
export function preflightHeaders(rules: CorsRule[], origin: string | undefined, method: string | undefined, requested: string | undefined): Record<string, string> | undefined {
  if (!origin || !method) return undefined;
  const headers = (requested ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
  const rule = ruleFor(rules, origin, method, headers);
  if (!rule) return undefined;
  return {
    "access-control-allow-origin": rule.AllowedOrigins.includes("*") ? "*" : origin,
    "access-control-allow-methods": rule.AllowedMethods.join(", "),
    ...(headers.length ? { "access-control-allow-headers": headers.join(", ") } : {}),
    ...(rule.MaxAge !== undefined ? { "access-control-max-age": String(rule.MaxAge) } : {}),
    ...(rule.ExposedHeaders?.length ? { "access-control-expose-headers": rule.ExposedHeaders.join(", ") } : {}),
    vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
  };
}

/** The CORS headers of an actual request's answer (none when no rule allows its origin and method). */
export function responseCorsHeaders(rules: CorsRule[], origin: string | undefined, method: string): Record<string, string> {
  if (!origin) return {};
  const rule = ruleFor(rules, origin, method, []);
  if (!rule) return {};
  return {
    "access-control-allow-origin": rule.AllowedOrigins.includes("*") ? "*" : origin,
    ...(rule.ExposedHeaders?.length ? { "access-control-expose-headers": rule.ExposedHeaders.join(", ") } : {}),
  };
}
