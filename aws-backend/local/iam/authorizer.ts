/**
 * Which IAM actions on which resources a request to the local endpoint needs (as the services'
 * authorization references list them), and whether its principal may do them. Calls the local
 * endpoint does not serve (Lambda Invoke, StartExecution, Secrets Manager, X-Ray, Logs) never
 * reach it and are not checked (see the README's fidelity table).
 */
import { copySourceOf, s3ObjectOf } from "../protocol.ts";
import { LOCAL_DEFAULTS } from "../resources.ts";
import { evaluate, type PolicyDocument } from "./policy.ts";
import type { Principal, StackIam } from "./principals.ts";
import { LOCAL_ACCOUNT } from "./template.ts";

export interface Needed {
  action: string;
  resource: string;
  /** Condition keys the request sets (iam:PassedToService for a role handed to a service). */
  context?: Record<string, string>;
}

export interface AwsCall {
  service: string;
  operation: string;
  /** Path and query as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed body of JSON-protocol calls. */
  json?: Record<string, unknown>;
}

const objectArn = ({ bucket, key }: { bucket: string; key: string }) => `arn:aws:s3:::${bucket}/${key}`;

/** The bucket and object an S3 request names (path-style, as the local endpoint is reached), as ARNs. */
function s3Location(url: string): { bucketArn: string; objectArn: string } {
  const object = s3ObjectOf(url);
  return { bucketArn: `arn:aws:s3:::${object.bucket}`, objectArn: objectArn(object) };
}

const SQS_BATCH = { SendMessageBatch: "SendMessage", DeleteMessageBatch: "DeleteMessage", ChangeMessageVisibilityBatch: "ChangeMessageVisibility" } as const;

export function neededFor(call: AwsCall, region: string): Needed[] {
  const { service, operation, json = {} } = call;
  switch (service) {
    case "comprehend": {
      // The detect operations have no resource type: policies grant them on "*". Starting an
      // asynchronous job hands Comprehend a role: the caller must be allowed to pass it.
      const passed = typeof json.DataAccessRoleArn === "string" && operation.startsWith("Start") ? [{ action: "iam:PassRole", resource: json.DataAccessRoleArn, context: { "iam:PassedToService": "comprehend.amazonaws.com" } }] : [];
      return [{ action: `comprehend:${operation}`, resource: "*" }, ...passed];
    }
    case "dynamodb":
      // A Query or Scan of an index is authorized on the index's ARN, as AWS does.
      return [{ action: `dynamodb:${operation}`, resource: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${String(json.TableName ?? "")}${typeof json.IndexName === "string" ? `/index/${json.IndexName}` : ""}` }];
    case "states":
      // Starting names its state machine; describing or stopping, the execution.
      return [{ action: `states:${operation}`, resource: String(json.stateMachineArn ?? json.executionArn ?? "") }];
    case "sqs": {
      const name = typeof json.QueueUrl === "string" ? json.QueueUrl.split("/").pop() : typeof json.QueueName === "string" ? json.QueueName : "*";
      const action = SQS_BATCH[operation as keyof typeof SQS_BATCH] ?? operation;
      return [{ action: `sqs:${action}`, resource: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:${name}` }];
    }
    default: {
      const { bucketArn, objectArn: object } = s3Location(call.url);
      switch (operation) {
        case "GetObject":
        case "HeadObject":
          return [{ action: "s3:GetObject", resource: object }];
        case "PutObject":
        case "UploadPartCopy": {
          // A copy (CopyObject, UploadPartCopy) also reads its source.
          const source = call.headers["x-amz-copy-source"];
          const copied = typeof source === "string" ? [{ action: "s3:GetObject", resource: objectArn(copySourceOf(source)) }] : [];
          return [{ action: "s3:PutObject", resource: object }, ...copied];
        }
        case "DeleteObject":
          return [{ action: "s3:DeleteObject", resource: object }];
        case "CreateMultipartUpload":
        case "UploadPart":
        case "CompleteMultipartUpload":
          return [{ action: "s3:PutObject", resource: object }];
        case "AbortMultipartUpload":
          return [{ action: "s3:AbortMultipartUpload", resource: object }];
        case "ListObjects":
          return [{ action: "s3:ListBucket", resource: bucketArn }];
        default:
          return [{ action: `s3:${operation}`, resource: bucketArn }];
      }
    }
  }
}

export type Authorization = { ok: true; principal: Principal } | { ok: false; principal: Principal; denied: Needed; explicitDeny: boolean };

const ADMIN_POLICY: PolicyDocument = { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

export class Authorizer {
  private readonly byAccessKey = new Map<string, Principal>();

  constructor(
    private readonly iam: StackIam,
    admin: { accessKeyId: string; secretAccessKey: string },
    private readonly region: string,
  ) {
    this.byAccessKey.set(admin.accessKeyId, { name: "admin", arn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/${LOCAL_DEFAULTS.accessKeyId}-admin`, ...admin, policies: [ADMIN_POLICY] });
    for (const p of iam.principals) this.byAccessKey.set(p.accessKeyId, p);
  }

  /** The secret of an access key the endpoint knows, for signature checks. */
  principalOf(accessKeyId: string): Principal | undefined {
    return this.byAccessKey.get(accessKeyId);
  }

  get principals(): Principal[] {
    return [...this.byAccessKey.values()];
  }

  /** aws:SecureTransport is true: the local endpoint stands for AWS's TLS endpoints. */
  authorize(principal: Principal, call: AwsCall): Authorization {
    for (const needed of neededFor(call, this.region)) {
      const decision = this.decide(principal, needed);
      if (!decision.allowed) return { ok: false, principal, denied: needed, explicitDeny: decision.explicitDeny };
    }
    return { ok: true, principal };
  }

  /** S3's rule: a missing key is 404 only to a principal allowed s3:ListBucket on the bucket, 403 to others. */
  hidesMissingKey(principal: Principal, call: AwsCall): boolean {
    if (call.service !== "s3" || (call.operation !== "GetObject" && call.operation !== "HeadObject")) return false;
    return !this.decide(principal, { action: "s3:ListBucket", resource: s3Location(call.url).bucketArn }).allowed;
  }

  private decide(principal: Principal, needed: Needed) {
    const resourcePolicies = this.iam.resourcePolicies
      .filter((p) => needed.resource === p.resourceArn || needed.resource.startsWith(`${p.resourceArn}/`))
      .map((p) => p.document);
    const { context, ...request } = needed;
    return evaluate({ principalArn: principal.arn, ...request, context: { "aws:SecureTransport": "true", ...context } }, principal.policies, resourcePolicies);
  }
}

/** AWS's message for a refusal, in the service's words. */
export function accessDeniedMessage(a: Extract<Authorization, { ok: false }>): string {
  const why = a.explicitDeny ? "with an explicit deny" : "because no identity-based policy allows the " + a.denied.action + " action";
  return `User: ${a.principal.arn} is not authorized to perform: ${a.denied.action} on resource: ${a.denied.resource} ${why}`;
}
