/** save-batch: one batch's Comprehend results, stored beside it; the job's progress counts it. */
import { processedKeys } from "../../shared/jobs.ts";
import { lambdaDeps, type BatchDeps } from "./deps.ts";
import { readJson, updateJob, writeObject } from "./storage.ts";
import type { BatchRef, WorkBatch, WorkBatchResult } from "./work.ts";

export interface SaveBatchInput extends BatchRef {
  ResultList: WorkBatchResult["ResultList"];
  ErrorList: WorkBatchResult["ErrorList"];
}

export async function saveBatch(deps: BatchDeps, input: SaveBatchInput): Promise<{ index: number }> {
  const keys = processedKeys(input.job_id);
  const batch = await readJson<WorkBatch>(deps, keys.batch(input.index));
  const result: WorkBatchResult = { docs: batch.docs, ResultList: input.ResultList ?? [], ErrorList: input.ErrorList ?? [] };
  await writeObject(deps, keys.batchResult(input.index), JSON.stringify(result));
  // Progress is for status pages only: a failed count must not fail the job.
  await updateJob(deps, input.job_id, {}, { batches_done: 1 }).catch((err: Error) =>
    console.error(JSON.stringify({ level: "warn", event: "progress_not_counted", job_id: input.job_id, error: err.name })),
  );
  return { index: input.index };
}

export const handler = (event: SaveBatchInput) => saveBatch(lambdaDeps(), event);
