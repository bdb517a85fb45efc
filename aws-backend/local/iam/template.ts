/**
 * The stack's CloudFormation template, synthesized in process from the CDK app itself (the same
 * constructs `cdk deploy` deploys), so the local endpoint enforces exactly the policies that
 * would be deployed. Bundling is skipped (no Lambda code is needed to read policies): ~1 s.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { AuraStreamStack } from "../../lib/aurastream-stack.ts";

export interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, unknown> }>;
}

export const LOCAL_ACCOUNT = "000000000000";
export const STACK_NAME = "AuraStream";

/** Synthesized once per process and region (each local endpoint reads it at start). */
const synthesized = new Map<string, Template>();

export function stackTemplate(region: string): Template {
  const known = synthesized.get(region);
  if (known) return known;
  // Deprecation notices are for `cdk synth`; the endpoint only reads the policies.
  process.env.JSII_DEPRECATED ??= "quiet";
  const outdir = mkdtempSync(join(tmpdir(), "aurastream-synth-"));
  try {
    const app = new App({
      outdir,
      builtinCloudFormationValidation: false,
      context: { "aws:cdk:bundling-stacks": [], "aws:cdk:enable-path-metadata": true },
    });
    new AuraStreamStack(app, STACK_NAME, { env: { account: LOCAL_ACCOUNT, region } });
    const template = app.synth().getStackByName(STACK_NAME).template as Template;
    synthesized.set(region, template);
    return template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
