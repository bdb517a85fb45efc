/**
 * prepare: an upload becomes Comprehend batches. Reads the job's row and payload, parses it
 * (InvalidInputError names the line), redacts PII with the shared engine, analyses identical
 * texts once, finds each document's language (given, or BatchDetectDominantLanguage) and writes
 * batches of at most 25 documents of one language.
 */
import { BatchDetectDominantLanguageCommand } from "@aws-sdk/client-comprehend";
import { parseJobInput, InvalidInputError } from "../../shared/batch-input.ts";
import { MAX_BATCH_DOCUMENTS, MAX_SENTIMENT_BYTES, SENTIMENT_LANGUAGES } from "../../shared/comprehend.ts";
import { countPiiTypes, detectPii, redactPii } from "../../shared/engine/pii.ts";
import { jobIdOfUploadKey, processedKeys } from "../../shared/jobs.ts";
import { characterCount } from "../../shared/schemas.ts";
import { chunkText } from "../../shared/text/chunk.ts";
import { normaliseText } from "../../shared/text/normalise.ts";
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

  // Documents: unique text parts, in first-seen order.
  const docIndex = new Map<string, number>();
  const docTexts: string[] = [];
  const items: WorkItem[] = parsed.map(({ id, text }) => {
    const entities = job.options.pii === "off" ? [] : detectPii(text);
    const analysed = normaliseText(job.options.pii === "redact" ? redactPii(text, entities).text : text);
    const item: WorkItem = { id, docs: [], weights: [], pii_types: countPiiTypes(entities) };
    if (!analysed) {
      item.error = { code: "EMPTY_TEXT", message: "the text is empty" };
      return item;
    }
    for (const part of chunkText(analysed, MAX_SENTIMENT_BYTES, job.options.language_code ?? "en")) {
      let doc = docIndex.get(part);
      if (doc === undefined) {
        doc = docTexts.push(part) - 1;
        docIndex.set(part, doc);
      }
      item.docs.push(doc);
      item.weights.push(characterCount(part));
    }
    return item;
  });

  const languages = job.options.language_code
    ? docTexts.map(() => job.options.language_code!)
    : await detectLanguages(deps, docTexts);
  for (const item of items) {
    const unsupported = item.docs.map((d) => languages[d]!).find((l) => !(SENTIMENT_LANGUAGES as readonly string[]).includes(l));
    if (!item.error && unsupported !== undefined) {
      item.error = { code: "UNSUPPORTED_LANGUAGE", message: `language ${unsupported || "undetermined"} cannot be analysed` };
    }
  }

  // Batches of <= 25 documents of one language, only documents some valid item needs.
  const needed = new Set(items.filter((i) => !i.error).flatMap((i) => i.docs));
  const byLanguage = new Map<string, number[]>();
  for (const doc of needed) byLanguage.set(languages[doc]!, [...(byLanguage.get(languages[doc]!) ?? []), doc]);
  const batches: WorkBatch[] = [];
  for (const [language, docs] of byLanguage) {
    for (let i = 0; i < docs.length; i += MAX_BATCH_DOCUMENTS) {
      const slice = docs.slice(i, i + MAX_BATCH_DOCUMENTS);
      batches.push({ language, docs: slice, texts: slice.map((d) => docTexts[d]!) });
    }
  }

  const keys = processedKeys(jobId);
  const manifest: WorkManifest = { items, languages, batch_count: batches.length, started_at: started };
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
      expression: "attribute_not_exists(prepared_at) AND #claim_status = :pending",
      names: { "#claim_status": "status" },
      values: { ":pending": "PENDING" },
    });
    return true;
  } catch (err) {
    if ((err as Error).name === "ConditionalCheckFailedException") return false;
    throw err;
  }
}

/** The dominant language of each document (its first 5,000 bytes), 25 at a time. */
async function detectLanguages(deps: BatchDeps, texts: string[]): Promise<string[]> {
  const languages = new Array<string>(texts.length).fill("");
  for (let start = 0; start < texts.length; start += MAX_BATCH_DOCUMENTS) {
    const slice = texts.slice(start, start + MAX_BATCH_DOCUMENTS).map((t) => chunkText(t, MAX_SENTIMENT_BYTES)[0]!);
    const out = await deps.comprehend.send(new BatchDetectDominantLanguageCommand({ TextList: slice }));
    for (const r of out.ResultList ?? []) {
      const best = [...(r.Languages ?? [])].sort((a, b) => (b.Score ?? 0) - (a.Score ?? 0))[0];
      languages[start + (r.Index ?? 0)] = best?.LanguageCode ?? "";
    }
  }
  return languages;
}

export const handler = (event: PrepareInput) => prepare(lambdaDeps(), event);
