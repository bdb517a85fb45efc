/**
 * IAM policy evaluation, as AWS documents it for one account: an explicit Deny in any
 * applicable policy wins; otherwise an Allow in the principal's identity policies, or in the
 * resource's policy naming the principal, allows; otherwise the request is implicitly denied.
 * Actions and resources match with `*` and `?` wildcards (case-insensitive actions); the
 * condition operators the stack uses are evaluated, and any other makes its statement not
 * apply (and is reported, so a new one is noticed).
 */
export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Principal?: "*" | { AWS?: string | string[]; Service?: string | string[] };
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: Statement | Statement[];
}

export interface AuthorizationRequest {
  principalArn: string;
  action: string;
  resource: string;
  /** Condition keys of the request, e.g. aws:SecureTransport. */
  context: Record<string, string>;
}

export type Decision = { allowed: true } | { allowed: false; explicitDeny: boolean };

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const compiled = new Map<string, RegExp>();

function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const id = `${ignoreCase ? "i" : "s"}${pattern}`;
  let re = compiled.get(id);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, ignoreCase ? "i" : "");
    compiled.set(id, re);
  }
  return re.test(value);
}

const unknownOperators = new Set<string>();

function conditionHolds(condition: Statement["Condition"], context: Record<string, string>): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const actual = context[key];
      const values = list(expected).map(String);
      let holds: boolean;
      switch (operator) {
        case "Bool":
        case "StringEquals":
        case "ArnEquals":
          holds = actual !== undefined && values.some((v) => (operator === "Bool" ? v.toLowerCase() === actual : v === actual));
          break;
        case "StringLike":
        case "ArnLike":
          holds = actual !== undefined && values.some((v) => wildcard(v, actual, false));
          break;
        case "StringNotEquals":
          holds = actual === undefined || !values.includes(actual);
          break;
        default:
          if (!unknownOperators.has(operator)) {
            unknownOperators.add(operator);
            console.error(`[local-aws] IAM condition operator ${operator} is not evaluated here; its statements do not apply`);
          }
          return false;
      }
      if (!holds) return false;
    }
  }
  return true;
}

function applies(statement: Statement, request: AuthorizationRequest, resourcePolicy: boolean): boolean {
  const actionMatches = statement.NotAction
    ? !list(statement.NotAction).some((a) => wildcard(a, request.action, true))
    : list(statement.Action).some((a) => wildcard(a, request.action, true));
  if (!actionMatches) return false;
  if (!list(statement.Resource).some((r) => wildcard(r, request.resource, false))) return false;
  if (resourcePolicy) {
    const principal = statement.Principal;
    const named = principal === "*" || list(principal?.AWS).some((p) => p === "*" || p === request.principalArn);
    if (!named) return false;
  }
  return conditionHolds(statement.Condition, request.context);
}

export function evaluate(request: AuthorizationRequest, identityPolicies: PolicyDocument[], resourcePolicies: PolicyDocument[]): Decision {
  let allowed = false;
  const check = (doc: PolicyDocument, resourcePolicy: boolean) => {
    for (const statement of list(doc.Statement)) {
      if (!applies(statement, request, resourcePolicy)) continue;
      if (statement.Effect === "Deny") return true;
      allowed = true;
    }
    return false;
  };
  for (const doc of identityPolicies) if (check(doc, false)) return { allowed: false, explicitDeny: true };
  for (const doc of resourcePolicies) if (check(doc, true)) return { allowed: false, explicitDeny: true };
  return allowed ? { allowed: true } : { allowed: false, explicitDeny: false };
}
