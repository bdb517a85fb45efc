/** save-batch: one batch's Comprehend results, stored under work/results/; the job's progress counts it. */
import { jobIdOfWorkKey } from "../../shared/jobs.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import type { SentimentLanguage } from "../../shared/comprehend.ts";
import { updateJob, writeObject } from "./storage.ts";
import { batchResultKey, type WorkBatchResult } from "./work/layout.ts";

export interface SaveBatchInput {
  /** The batch, as load-batch described it: its file's key, language, first document and size. */
  key: string;
  language: SentimentLanguage;
  first: number;
  size: number;
  ResultList?: WorkBatchResult["ResultList"];
  ErrorList?: WorkBatchResult["ErrorList"];
  /** The error name when Comprehend kept failing the whole batch past its retries: each document fails with it. */
  failure?: string;
}

export async function saveBatch(deps: BatchDeps, input: SaveBatchInput): Promise<{ saved: true }> {
  const jobId = jobIdOfWorkKey(input.key);
  if (!jobId) throw new Error("not a batch of a job");
  const ErrorList = input.failure
    ? Array.from({ length: input.size }, (_, Index) => ({ Index, ErrorCode: input.failure!.slice(0, 100), ErrorMessage: "The batch failed past its retries" }))
    : (input.ErrorList ?? []);
  const result: WorkBatchResult = { language: input.language, first: input.first, ResultList: input.failure ? [] : (input.ResultList ?? []), ErrorList };
  await writeObject(deps, batchResultKey(input.key), JSON.stringify(result));
  // Progress is for status pages only: a failed count must not fail the job.
  await updateJob(deps, jobId, {}, { batches_done: 1 }).catch((err: Error) =>
    console.error(JSON.stringify({ level: "warn", event: "progress_not_counted", job_id: jobId, error: err.name })),
  );
  return { saved: true };
}

export const handler = lambdaHandler(saveBatch);
