/**
 * aggregate-part: one part of the upload's documents' answers joined back to its rows, streamed
 * (a child of the AggregateParts Distributed Map, side by side with the other parts). The part's
 * answers are read into DocumentAnswers (its batch files' results and its Comprehend jobs'
 * output.tar.gz), then its items in order, each row's result written as a JSON line and a CSV row,
 * each a multipart upload; its summary is counted on the way. A job of one part writes its
 * results where the API serves them (processed/<job_id>/results.jsonl and results.csv); a job of
 * several writes each part's under work/results-parts/ for aggregate to join.
 */
import type { SentimentScore } from "../../shared/comprehend.ts";
import { lines, rowId, utf8Chunks } from "../../shared/batch-input.ts";
import { processedKeys } from "../../shared/jobs.ts";
import { resultCsvHeader, resultCsvRow } from "../../shared/results-csv.ts";
import type { ItemError } from "../../shared/pipeline/item-errors.ts";
import { resultOfParts } from "../../shared/pipeline/scores.ts";
import type { JobItemResult } from "../../shared/schemas.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { countProgress, listKeys, readJson, readStream, writeObject, writeStream } from "./storage.ts";
import { DocumentAnswers } from "./work/answers.ts";
import { sentimentOutputLines } from "./work/comprehend-output.ts";
import { batchResultKey, partIndexOfFile, workKeys, type AggregatePartWork, type BatchListing, type LanguageDocs, type PartKeys, type WorkBatchResult, type WorkItem, type WorkManifest } from "./work/layout.ts";
import { SummaryCounter } from "./work/summary.ts";

export async function aggregatePart(deps: BatchDeps, input: AggregatePartWork): Promise<{ index: number; item_count: number }> {
  const keys = workKeys(input.job_id);
  const manifest = await readJson<WorkManifest>(deps, keys.manifest);
  const part = manifest.parts.find((p) => p.index === input.index);
  if (!part) throw new Error(`the job has no part ${input.index}`);
  const partKeys = keys.part(part.index);
  const onlyPart = manifest.parts.length === 1;
  const target = onlyPart ? processedKeys(input.job_id) : { results: partKeys.results, resultsCsv: partKeys.resultsCsv };

  const answers = new DocumentAnswers(part.languages);
  if (part.batch_files > 0) await readBatchResults(deps, partKeys, answers);
  await readComprehendOutputs(deps, partKeys, part.languages, answers);

  const summary = new SummaryCounter();
  const results = writeStream(deps, target.results, "application/x-ndjson");
  const csv = writeStream(deps, target.resultsCsv, "text/csv; charset=utf-8");
  // The joined CSV's header is the first part's.
  if (part.index === manifest.parts[0]!.index) await csv.write(resultCsvHeader());
  for (let i = 0; i < part.item_parts; i++) {
    for await (const { text } of lines(utf8Chunks(await readStream(deps, partKeys.itemsPart(i))))) {
      if (!text) continue;
      const result = resultOf(JSON.parse(text) as WorkItem, answers, part.rows_before);
      summary.add(result);
      await results.write(JSON.stringify(result) + "\n");
      await csv.write(resultCsvRow(result));
    }
  }
  await Promise.all([results.close(), csv.close()]);
  await writeObject(deps, partKeys.summary, JSON.stringify(summary));
  await countProgress(deps, input.job_id, { parts_joined: 1 });
  return { index: part.index, item_count: summary.toJSON().items };
}

/** Each batch file's result (the part's batches manifest lists them); a batch whose child execution failed has none (its rows fail). */
async function readBatchResults(deps: BatchDeps, keys: PartKeys, answers: DocumentAnswers): Promise<void> {
  for (const { Key } of await readJson<BatchListing[]>(deps, keys.batchesManifest)) {
    const result = await readJson<WorkBatchResult>(deps, batchResultKey(Key)).catch((err: Error) => {
      if (err.name === "NoSuchKey") return undefined;
      throw err;
    });
    if (!result) continue;
    for (const r of result.ResultList) answers.answer(result.language, result.first + r.Index, r.SentimentScore);
    for (const e of result.ErrorList) answers.refuse(result.language, result.first + e.Index, e.ErrorCode);
  }
}

/** Each Comprehend job's output.tar.gz; a line is `File` (the input part) and `Line` (0-based in it). */
async function readComprehendOutputs(deps: BatchDeps, keys: PartKeys, languages: LanguageDocs[], answers: DocumentAnswers): Promise<void> {
  for (const { language, parts, jobs } of languages) {
    if (jobs === 0) continue;
    const archives = (await listKeys(deps, keys.comprehendOutputs(language))).filter((k) => k.endsWith("/output/output.tar.gz"));
    for (const archive of archives) {
      for await (const line of sentimentOutputLines(await readStream(deps, archive))) {
        const part = partIndexOfFile(line.File);
        if (part === undefined || parts[part] === undefined) continue;
        const seq = parts[part]! + line.Line;
        if (line.SentimentScore) answers.answer(language, seq, line.SentimentScore);
        else answers.refuse(language, seq, line.ErrorCode ?? "UNKNOWN");
      }
    }
  }
}

function resultOf(item: WorkItem, answers: DocumentAnswers, rowsBefore: number): JobItemResult {
  const base = { id: rowId(item, rowsBefore), line: item.line, pii_detected: Object.keys(item.pii_types).length > 0, pii_types: item.pii_types };
  if (item.error) return { ...base, error: item.error };
  const parts = item.docs.map((seq) => answers.of(item.language_code!, seq));
  const failed = parts.find((p): p is ItemError => "code" in p);
  if (failed) return { ...base, error: failed };
  const scores = parts.map((score, i) => ({ score: score as SentimentScore, weight: item.weights[i]! }));
  return { ...base, ...resultOfParts(scores, { language: item.language_code!, source: item.language_source ?? "given" }) };
}

export const handler = lambdaHandler(aggregatePart);
