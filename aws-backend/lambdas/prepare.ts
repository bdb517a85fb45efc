/**
 * prepare: an upload becomes Comprehend batches, on the shared text pipeline. Reads the job's
 * row and payload, parses it (InvalidInputError names the line), prepares each text (PII,
 * normalise), finds the language of each distinct text (given, or detected in-process from its
 * sample, as the Worker does), cuts it into parts at the sentence bounds of that language, analyses identical
 * parts once, and writes batches of at most 25 documents of one language.
 */
import { parseJobInput, InvalidInputError } from "../../shared/batch-input.ts";
import type { SentimentLanguage } from "../../shared/comprehend.ts";
import { jobIdOfUploadKey, processedKeys } from "../../shared/jobs.ts";
import { batchesByLanguage, sentimentParts } from "../../shared/pipeline/documents.ts";
import { itemErrors } from "../../shared/pipeline/item-errors.ts";
import { languageOf, type LanguageChoice } from "../../shared/pipeline/language.ts";
import { prepareText } from "../../shared/pipeline/text.ts";
import { lambdaDeps, type BatchDeps } from "./deps.ts";
import { getJob, readText, updateJob, writeObject } from "./storage.ts";
import type { BatchRef, WorkBatch, WorkItem, WorkManifest } from "./work.ts";

export interface PrepareInput {
  bucket: string;
  key: string;
}

export interface PrepareOutput {
  job_id: string;
  /** Another execution already took this job (S3 and EventBridge deliver at least once). */
  duplicate: boolean;
  item_count: number;
  batch_count: number;
  batches: BatchRef[];
  max_concurrency: number;
  has_callback: boolean;
}

export class JobNotFoundError extends Error {
  override readonly name = "JobNotFoundError";
}

export async function prepare(deps: BatchDeps, input: PrepareInput): Promise<PrepareOutput> {
  const jobId = jobIdOfUploadKey(input.key);
  if (!jobId) throw new JobNotFoundError(`not a job upload: ${input.key}`);
  const job = await getJob(deps, jobId);
  if (!job) throw new JobNotFoundError(`no job row for ${jobId}`);
  const started = deps.now().toISOString();
  if (!(await claim(deps, jobId, started))) {
    return { job_id: jobId, duplicate: true, item_count: 0, batch_count: 0, batches: [], max_concurrency: 1, has_callback: false };
  }

  const parsed = parseJobInput(job.format, await readText(deps, input.key));
  if (parsed.length === 0) throw new InvalidInputError("no items to analyse");

  const prepared = parsed.map(({ id, text }) => ({ id, ...prepareText(text, job.options.pii) }));
  // The language of each distinct text, chosen once.
  const choices = new Map<string, LanguageChoice>();
  const choiceOf = (text: string) => {
    let choice = choices.get(text);
    if (!choice) choices.set(text, (choice = languageOf(text, job.options.language_code, job.options.default_language)));
    return choice;
  };

  // Documents: distinct parts of one language, shared by every item (and text) that has them.
  const docIndex = new Map<string, number>();
  const docs: { language: SentimentLanguage; text: string }[] = [];
  const items: WorkItem[] = prepared.map(({ id, analysed, pii }) => {
    const item: WorkItem = { id, docs: [], weights: [], pii_types: pii.types };
    if (!analysed) return { ...item, error: itemErrors.emptyText() };
    const choice = choiceOf(analysed);
    item.language_code = choice.language;
    item.language_source = choice.source;
    for (const part of sentimentParts(analysed, choice.language)) {
      const docKey = `${choice.language}\n${part.text}`;
      let doc = docIndex.get(docKey);
      if (doc === undefined) {
        doc = docs.push({ language: choice.language, text: part.text }) - 1;
        docIndex.set(docKey, doc);
      }
      item.docs.push(doc);
      item.weights.push(part.weight);
    }
    return item;
  });

  const batches: WorkBatch[] = batchesByLanguage(docs.keys(), (d) => docs[d]!.language).map((b) => ({
    language: b.language,
    docs: b.docs,
    texts: b.docs.map((d) => docs[d]!.text),
  }));

  const keys = processedKeys(jobId);
  const manifest: WorkManifest = { items, batch_count: batches.length, started_at: started };
  await writeObject(deps, keys.items, JSON.stringify(manifest));
  await Promise.all(batches.map((b, i) => writeObject(deps, keys.batch(i), JSON.stringify(b))));
  return {
    job_id: jobId,
    duplicate: false,
    item_count: items.length,
    batch_count: batches.length,
    batches: batches.map((_, index) => ({ job_id: jobId, index })),
    max_concurrency: deps.maxConcurrency,
    has_callback: Boolean(job.options.callback_url),
  };
}

/** Marks the job as taken by this execution; false when another one already has it. */
async function claim(deps: BatchDeps, jobId: string, at: string): Promise<boolean> {
  try {
    await updateJob(deps, jobId, { prepared_at: at }, undefined, {
      // PENDING (its body came through the Worker) or AWAITING_UPLOAD (its file came): not a job
      // its upload deadline has already ended FAILED, so a late object cannot revive it.
      expression: "attribute_not_exists(prepared_at) AND (#claim_status = :pending OR #claim_status = :awaiting)",
      names: { "#claim_status": "status" },
      values: { ":pending": "PENDING", ":awaiting": "AWAITING_UPLOAD" },
    });
    return true;
  } catch (err) {
    if ((err as Error).name === "ConditionalCheckFailedException") return false;
    throw err;
  }
}

export const handler = (event: PrepareInput) => prepare(lambdaDeps(), event);
