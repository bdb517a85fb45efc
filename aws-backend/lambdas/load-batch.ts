/** load-batch: one fast-route batch (an entry of the Distributed Map's listing) in the shape BatchDetectSentiment takes. */
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { readJson } from "./storage.ts";
import type { BatchListing, WorkBatch } from "./work/layout.ts";

export async function loadBatch(deps: BatchDeps, listing: BatchListing) {
  const batch = await readJson<WorkBatch>(deps, listing.Key);
  // first and size go on through the child's state, so save-batch need not read the file again.
  return { key: listing.Key, LanguageCode: batch.language, TextList: batch.texts, first: batch.first, size: batch.texts.length };
}

export const handler = lambdaHandler(loadBatch);
