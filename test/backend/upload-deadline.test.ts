/**
 * The upload-deadline state machine through the local stack, called with the AWS SDK's own
 * Step Functions client as the Worker signs: StartExecution allowed to the Worker only, on that
 * machine only; a repeated name with the same input is the same execution, with another input
 * ExecutionAlreadyExists; at its deadline it ends an AWAITING_UPLOAD job FAILED (UPLOAD_EXPIRED)
 * and leaves any other job alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import { localCredentials } from "../../aws-backend/local/resources.ts";
import { startLocalStack, type LocalStack } from "../../aws-backend/local/stack.ts";
import { getJob, updateJob } from "../../aws-backend/lambdas/storage.ts";
import { putJobRow } from "./local-aws.ts";

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, retryIntervalMs: 5 });
});
afterAll(() => stack.endpoint.close());

const ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:aurastream-upload-deadline";
const sfnAs = (name: string) =>
  new SFNClient({ endpoint: stack.endpoint.url, region: stack.endpoint.region, credentials: name === "admin" ? stack.endpoint.credentials : localCredentials(name), maxAttempts: 1 });
const errorName = (p: Promise<unknown>) => p.then(() => "allowed", (e: Error) => e.name);
// Set-up and reads as the administrator (no role of the stack may put a job row but the Worker).
const deps = () => localBatchDeps(stack.endpoint);

async function awaitingJob() {
  const { jobId } = await putJobRow(deps(), "csv");
  await updateJob(deps(), jobId, { status: "AWAITING_UPLOAD" });
  return jobId;
}

describe("upload deadline (Step Functions)", () => {
  it("lets the Worker start it, the same name and input twice as one execution, and nobody else", async () => {
    const input = JSON.stringify({ job_id: "job_nothing", deadline: new Date(Date.now() + 60_000).toISOString() });
    const worker = sfnAs("worker");
    const first = await worker.send(new StartExecutionCommand({ stateMachineArn: ARN, name: "job_same", input }));
    expect(first.executionArn).toBe("arn:aws:states:us-east-1:000000000000:execution:aurastream-upload-deadline:job_same");
    expect((await worker.send(new StartExecutionCommand({ stateMachineArn: ARN, name: "job_same", input }))).executionArn).toBe(first.executionArn);
    expect(await errorName(worker.send(new StartExecutionCommand({ stateMachineArn: ARN, name: "job_same", input: "{}" })))).toBe("ExecutionAlreadyExists");
    expect(await errorName(sfnAs("prepare").send(new StartExecutionCommand({ stateMachineArn: ARN, name: "job_other", input })))).toBe("AccessDeniedException");
    expect(await errorName(sfnAs("admin").send(new StartExecutionCommand({ stateMachineArn: `${ARN}-nope`, name: "x", input })))).toBe("StateMachineDoesNotExist");
  });

  it("ends a job still AWAITING_UPLOAD at its deadline, and leaves one whose file came alone", async () => {
    const waiting = await awaitingJob();
    const uploaded = await awaitingJob();
    await updateJob(deps(), uploaded, { status: "PROCESSING" });
    const deadline = new Date(Date.now() + 500).toISOString();
    for (const job_id of [waiting, uploaded]) {
      await sfnAs("worker").send(new StartExecutionCommand({ stateMachineArn: ARN, name: job_id, input: JSON.stringify({ job_id, deadline }) }));
    }
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await getJob(deps(), waiting)).toMatchObject({ status: "FAILED", error: { code: "UPLOAD_EXPIRED" }, failed_at: deadline });
    expect((await getJob(deps(), uploaded))?.status).toBe("PROCESSING");
  });
});
