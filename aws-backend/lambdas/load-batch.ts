/** load-batch: one batch's documents, in the shape BatchDetectSentiment takes. */
import { processedKeys } from "../../shared/jobs.ts";
import { lambdaDeps, type BatchDeps } from "./deps.ts";
import { readJson } from "./storage.ts";
import type { BatchRef, WorkBatch } from "./work.ts";

export async function loadBatch(deps: BatchDeps, ref: BatchRef) {
  const batch = await readJson<WorkBatch>(deps, processedKeys(ref.job_id).batch(ref.index));
  return { job_id: ref.job_id, index: ref.index, LanguageCode: batch.language, TextList: batch.texts };
}

export const handler = (event: BatchRef) => loadBatch(lambdaDeps(), event);
