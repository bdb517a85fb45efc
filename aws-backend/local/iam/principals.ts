/**
 * The principals of the stack and the policies that bind them, read from its synthesized
 * template with the intrinsics resolved to the local endpoint's resources: the Worker's user,
 * each Lambda's role, the state machine's role (identity policies), and the bucket's and the
 * queue's resource policies. Each principal signs with its own local credentials.
 */
import { LOCAL_RESOURCES, localCredentials } from "../resources.ts";
import type { PolicyDocument } from "./policy.ts";
import { LOCAL_ACCOUNT, type Template } from "./template.ts";

export interface Principal {
  /** worker, prepare, load-batch, ..., state-machine; "admin" for the operators' default credentials. */
  name: string;
  arn: string;
  accessKeyId: string;
  secretAccessKey: string;
  policies: PolicyDocument[];
}

export interface StackIam {
  principals: Principal[];
  /** Resource policies by the ARN of the resource they guard (the bucket's covers its objects too). */
  resourcePolicies: { resourceArn: string; document: PolicyDocument }[];
}

/** cdk paths of the principals that call AWS, and their local names. */
function principalName(path: string): string | undefined {
  if (path === "AuraStream/Worker/User/Resource") return "worker";
  if (path === "AuraStream/BatchPipeline/StateMachine/Role/Resource") return "state-machine";
  if (path === "AuraStream/UploadDeadline/StateMachine/Role/Resource") return "upload-deadline";
  if (path === "AuraStream/BatchPipeline/ComprehendDataAccessRole/Resource") return "comprehend-data-access";
  const fn = /^AuraStream\/BatchPipeline\/(\w+)Function\/ServiceRole\/Resource$/.exec(path)?.[1];
  return fn?.replace(/[A-Z]/g, (c, i: number) => (i ? "-" : "") + c.toLowerCase());
}

export function stackIam(template: Template, region: string): StackIam {
  const resources = template.Resources;
  const names: Record<string, { ref: string; arn: string }> = {};
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case "AWS::S3::Bucket":
        names[id] = { ref: LOCAL_RESOURCES.bucket, arn: `arn:aws:s3:::${LOCAL_RESOURCES.bucket}` };
        break;
      case "AWS::DynamoDB::Table":
        names[id] = { ref: LOCAL_RESOURCES.jobsTable, arn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT}:table/${LOCAL_RESOURCES.jobsTable}` };
        break;
      case "AWS::SQS::Queue":
        names[id] = { ref: LOCAL_RESOURCES.deadLetterQueue, arn: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT}:${LOCAL_RESOURCES.deadLetterQueue}` };
        break;
      case "AWS::StepFunctions::StateMachine": {
        // Ref of a state machine is its ARN.
        const arn = `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${p.StateMachineName ?? id}`;
        names[id] = { ref: arn, arn };
        break;
      }
      case "AWS::Lambda::Function":
        names[id] = { ref: id, arn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${id}` };
        break;
      case "AWS::IAM::Role":
      case "AWS::IAM::User": {
        const kind = r.Type === "AWS::IAM::Role" ? "role" : "user";
        const name = principalName(String(r.Metadata?.["aws:cdk:path"] ?? "")) ?? id;
        names[id] = { ref: name, arn: `arn:aws:iam::${LOCAL_ACCOUNT}:${kind}/${name}` };
        break;
      }
      default: {
        const arn = `arn:aws:${r.Type.split("::")[1]!.toLowerCase()}:${region}:${LOCAL_ACCOUNT}:${id}`;
        names[id] = { ref: p.Name ?? arn, arn };
      }
    }
  }
  const pseudo: Record<string, string> = { "AWS::Region": region, "AWS::AccountId": LOCAL_ACCOUNT, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com" };
  const resolve = (v: unknown): any => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    if ("Ref" in o) return pseudo[o.Ref as string] ?? names[o.Ref as string]?.ref ?? o.Ref;
    if ("Fn::GetAtt" in o) return names[(o["Fn::GetAtt"] as string[])[0]!]?.arn;
    if ("Fn::Join" in o) {
      const [separator, parts] = o["Fn::Join"] as [string, unknown[]];
      return (resolve(parts) as unknown[]).join(separator);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };

  const principals = new Map<string, Principal>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== "AWS::IAM::Role" && r.Type !== "AWS::IAM::User") continue;
    const name = principalName(String(r.Metadata?.["aws:cdk:path"] ?? ""));
    if (!name) continue;
    const inline = ((r.Properties?.Policies ?? []) as { PolicyDocument: unknown }[]).map((p) => resolve(p.PolicyDocument) as PolicyDocument);
    principals.set(id, { name, arn: names[id]!.arn, ...localCredentials(name), policies: inline });
  }
  const resourcePolicies: StackIam["resourcePolicies"] = [];
  for (const r of Object.values(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === "AWS::IAM::Policy") {
      const document = resolve(p.PolicyDocument) as PolicyDocument;
      for (const holder of [...(p.Roles ?? []), ...(p.Users ?? [])] as { Ref: string }[]) principals.get(holder.Ref)?.policies.push(document);
    } else if (r.Type === "AWS::S3::BucketPolicy") {
      resourcePolicies.push({ resourceArn: `arn:aws:s3:::${resolve(p.Bucket)}`, document: resolve(p.PolicyDocument) });
    } else if (r.Type === "AWS::SQS::QueuePolicy") {
      for (const queue of p.Queues as { Ref: string }[]) {
        resourcePolicies.push({ resourceArn: names[queue.Ref]!.arn, document: resolve(p.PolicyDocument) });
      }
    }
  }
  return { principals: [...principals.values()], resourcePolicies };
}
