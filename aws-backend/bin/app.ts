/** `npm run synth` (offline) and `npm run deploy`: the AuraStream stack. */
import { App } from "aws-cdk-lib";
import { AuraStreamStack } from "../lib/aurastream-stack.ts";

const app = new App();
new AuraStreamStack(app, "AuraStream", {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  maxConcurrency: process.env.AURASTREAM_MAX_CONCURRENCY ? Number(process.env.AURASTREAM_MAX_CONCURRENCY) : undefined,
  asyncJobMinBytes: process.env.AURASTREAM_ASYNC_JOB_MIN_BYTES ? Number(process.env.AURASTREAM_ASYNC_JOB_MIN_BYTES) : undefined,
  maxFailedRowShare: process.env.AURASTREAM_MAX_FAILED_ROW_SHARE ? Number(process.env.AURASTREAM_MAX_FAILED_ROW_SHARE) : undefined,
});
