/** save-batch: one batch's Comprehend results, stored under work/results/; the job's progress counts it. */
import { jobIdOfWorkKey } from "../../shared/jobs.ts";
import { lambdaDeps, type BatchDeps } from "./deps.ts";
import { readJson, updateJob, writeObject } from "./storage.ts";
import { workKeys, type WorkBatch, type WorkBatchResult } from "./work/layout.ts";

export interface SaveBatchInput {
  /** The batch file's key (from the Map's listing). */
  key: string;
  ResultList?: WorkBatchResult["ResultList"];
  ErrorList?: WorkBatchResult["ErrorList"];
  /** The error name when Comprehend kept failing the whole batch past its retries: each document fails with it. */
  failure?: string;
}

export async function saveBatch(deps: BatchDeps, input: SaveBatchInput): Promise<{ saved: true }> {
  const jobId = jobIdOfWorkKey(input.key);
  if (!jobId) throw new Error("not a batch of a job");
  const batch = await readJson<WorkBatch>(deps, input.key);
  const ErrorList = input.failure
    ? batch.texts.map((_, Index) => ({ Index, ErrorCode: input.failure!.slice(0, 100), ErrorMessage: "The batch failed past its retries" }))
    : (input.ErrorList ?? []);
  const result: WorkBatchResult = { language: batch.language, first: batch.first, ResultList: input.failure ? [] : (input.ResultList ?? []), ErrorList };
  await writeObject(deps, workKeys(jobId).batchResult(batch.language, batch.first), JSON.stringify(result));
  // Progress is for status pages only: a failed count must not fail the job.
  await updateJob(deps, jobId, {}, { batches_done: 1 }).catch((err: Error) =>
    console.error(JSON.stringify({ level: "warn", event: "progress_not_counted", job_id: jobId, error: err.name })),
  );
  return { saved: true };
}

export const handler = (event: SaveBatchInput) => saveBatch(lambdaDeps(), event);
