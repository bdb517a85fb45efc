/**
 * Distributed Map states, run locally. aws-local-stepfunctions runs every Map inline and ignores
 * ItemReader, ResultWriter, ToleratedFailurePercentage and the DISTRIBUTED processor, so each
 * Distributed Map of a definition is swapped, before the runner sees it, for a Task state of the
 * same name whose Parameters carry the Map's own fields (the runner evaluates their paths against
 * the state's input, as Step Functions does) and keeps the Map's ResultSelector, ResultPath,
 * Retry, Catch and Next. Its handler (runDistributedMap) does what the Map Run does on AWS:
 * reads the items (ItemsPath, or ItemReader's s3:listObjectsV2 / s3:getObject JSON or JSONL, as
 * the state machine's role), starts one child execution of the ItemProcessor per item with at
 * most MaxConcurrency at once (each a fresh execution held to Step Functions' quotas), fails with
 * States.ExceedToleratedFailureThreshold once more children failed than tolerated, and writes
 * ResultWriter's manifest and result files to S3. The ASL file itself is what AWS runs.
 */
import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from "@aws-sdk/client-s3";
import { lines, utf8Chunks } from "../../shared/batch-input.ts";
import { isTransient } from "../lambdas/errors.ts";

export interface DistributedMapSpec {
  name: string;
  /** The ItemProcessor as a definition of its own (StartAt, States). */
  processor: { StartAt: string; States: Record<string, unknown> };
  executionType: "STANDARD" | "EXPRESS";
  reader?: { resource: string; inputType?: string };
  hasResultWriter: boolean;
}

type State = Record<string, unknown>;

/** The definition with its Distributed Maps as Task states, and what each of them runs. */
export function withLocalDistributedMaps(definition: { States: Record<string, State> }): { definition: unknown; maps: Map<string, DistributedMapSpec> } {
  const maps = new Map<string, DistributedMapSpec>();
  const states: Record<string, State> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string; ExecutionType?: string }; StartAt: string; States: Record<string, unknown> } | undefined;
    if (state.Type !== "Map" || processor?.ProcessorConfig?.Mode !== "DISTRIBUTED") {
      states[name] = state;
      continue;
    }
    if (state.ItemSelector || state.ItemBatcher) throw new Error(`${name}: ItemSelector and ItemBatcher are not run locally`);
    const reader = state.ItemReader as { Resource: string; ReaderConfig?: { InputType?: string }; Parameters?: unknown } | undefined;
    const writer = state.ResultWriter as { Parameters?: unknown } | undefined;
    const parameters: Record<string, unknown> = {};
    if (reader) parameters.ItemReader = reader.Parameters;
    else parameters["Items.$"] = (state.ItemsPath as string | undefined) ?? "$";
    for (const field of ["MaxConcurrency", "ToleratedFailurePercentage"]) {
      if (state[`${field}Path`] !== undefined) parameters[`${field}.$`] = state[`${field}Path`];
      else if (state[field] !== undefined) parameters[field] = state[field];
    }
    if (writer) parameters.ResultWriter = writer.Parameters;
    maps.set(name, {
      name,
      processor: { StartAt: processor.StartAt, States: processor.States },
      executionType: processor.ProcessorConfig?.ExecutionType === "EXPRESS" ? "EXPRESS" : "STANDARD",
      reader: reader ? { resource: reader.Resource, inputType: reader.ReaderConfig?.InputType } : undefined,
      hasResultWriter: Boolean(writer),
    });
    const kept = Object.fromEntries(["ResultSelector", "ResultPath", "Retry", "Catch", "Next", "End", "Comment"].filter((k) => k in state).map((k) => [k, state[k]]));
    // A Map state has no timeout on AWS (the execution's own bounds it); the runner gives a Task
    // 60 s unless told, and its timer holds at most 24.8 days: a day is far past the execution's 6 h.
    states[name] = { Type: "Task", Resource: "arn:aws:states:::states:startExecution.sync:2", TimeoutSeconds: 86_400, Parameters: parameters, ...kept };
  }
  return { definition: { ...definition, States: states }, maps };
}

export interface MapRunParameters {
  ItemReader?: { Bucket: string; Key?: string; Prefix?: string };
  Items?: unknown[];
  MaxConcurrency?: number;
  ToleratedFailurePercentage?: number;
  ResultWriter?: { Bucket: string; Prefix?: string };
}

export interface ChildOutcome {
  status: "SUCCEEDED" | "FAILED";
  output?: unknown;
  error?: string;
  cause?: string;
}

/** The Map Run: items, children, tolerance and results, as Step Functions runs it. */
export async function runDistributedMap(
  spec: DistributedMapSpec,
  params: MapRunParameters,
  s3: S3Client,
  runChild: (input: unknown) => Promise<ChildOutcome>,
): Promise<unknown> {
  const items = params.ItemReader ? await readItems(spec, params.ItemReader, s3) : params.Items;
  if (!Array.isArray(items)) throw named("States.Runtime", `${spec.name}: the items are not an array`);
  // 0 means no limit on AWS (it then runs up to 10,000 children at once); locally 40 is plenty.
  const concurrency = Math.max(1, params.MaxConcurrency || 40);
  const tolerated = params.ToleratedFailurePercentage ?? 0;
  const outcomes: { index: number; input: unknown; outcome: ChildOutcome }[] = [];
  let next = 0;
  let failed = 0;
  let exceeded = false;
  const worker = async () => {
    while (!exceeded && next < items.length) {
      const index = next++;
      const outcome = await runChild(items[index]);
      outcomes.push({ index, input: items[index], outcome });
      if (outcome.status === "FAILED" && (++failed * 100) / items.length > tolerated) exceeded = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));

  const mapRunId = crypto.randomUUID();
  const mapRunArn = `arn:aws:states:us-east-1:000000000000:mapRun:${spec.name}/${mapRunId}`;
  let resultWriterDetails: { Bucket: string; Key: string } | undefined;
  if (params.ResultWriter) resultWriterDetails = await writeResults(params.ResultWriter, mapRunArn, mapRunId, outcomes, s3);
  if (exceeded) {
    throw named("States.ExceedToleratedFailureThreshold", `The specified tolerated failure threshold was exceeded: ${failed} of ${items.length} child executions failed`);
  }
  if (spec.hasResultWriter) return { MapRunArn: mapRunArn, ResultWriterDetails: resultWriterDetails };
  return outcomes.sort((a, b) => a.index - b.index).map((o) => o.outcome.output);
}

async function readItems(spec: DistributedMapSpec, reader: NonNullable<MapRunParameters["ItemReader"]>, s3: S3Client): Promise<unknown[]> {
  const resource = spec.reader!.resource;
  if (resource === "arn:aws:states:::s3:listObjectsV2") {
    return s3Call("ItemReader", async () => {
      const items: unknown[] = [];
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: reader.Bucket, Prefix: reader.Prefix })) {
        for (const o of page.Contents ?? []) {
          // The fields and forms Step Functions gives each listed object.
          items.push({ Etag: o.ETag, Key: o.Key, LastModified: Math.floor((o.LastModified?.getTime() ?? 0) / 1000), Size: o.Size, StorageClass: o.StorageClass ?? "STANDARD" });
        }
      }
      return items;
    });
  }
  if (resource === "arn:aws:states:::s3:getObject" && (spec.reader!.inputType === "JSONL" || spec.reader!.inputType === "JSON")) {
    // The read as a whole is retried: a connection dropped mid-body fails it as surely as a 5xx.
    return s3Call("ItemReader", async () => {
      const out = await s3.send(new GetObjectCommand({ Bucket: reader.Bucket, Key: reader.Key }));
      if (spec.reader!.inputType === "JSON") return JSON.parse(await out.Body!.transformToString("utf-8")) as unknown[];
      const items: unknown[] = [];
      for await (const { text } of lines(utf8Chunks(out.Body as AsyncIterable<Uint8Array>))) if (text.trim()) items.push(JSON.parse(text));
      return items;
    });
  }
  throw named("States.Runtime", `${spec.name}: ItemReader ${resource} (${spec.reader!.inputType ?? "-"}) is not run locally`);
}

/** ResultWriter's layout: <Prefix>/<map run id>/manifest.json and SUCCEEDED_0.json / FAILED_0.json. */
async function writeResults(
  writer: NonNullable<MapRunParameters["ResultWriter"]>,
  mapRunArn: string,
  mapRunId: string,
  outcomes: { input: unknown; outcome: ChildOutcome }[],
  s3: S3Client,
): Promise<{ Bucket: string; Key: string }> {
  const prefix = `${(writer.Prefix ?? "").replace(/\/$/, "")}/${mapRunId}/`;
  const files: { key: string; status: string }[] = [];
  for (const status of ["SUCCEEDED", "FAILED"] as const) {
    const entries = outcomes
      .filter((o) => o.outcome.status === status)
      .map((o) => ({
        ExecutionArn: `${mapRunArn.replace(":mapRun:", ":execution:")}:${crypto.randomUUID()}`,
        Input: JSON.stringify(o.input),
        Status: status,
        ...(status === "SUCCEEDED" ? { Output: JSON.stringify(o.outcome.output ?? null) } : { Error: o.outcome.error, Cause: o.outcome.cause }),
      }));
    if (entries.length === 0) continue;
    const key = `${prefix}${status}_0.json`;
    await s3Call("ResultWriter", () => s3.send(new PutObjectCommand({ Bucket: writer.Bucket, Key: key, Body: JSON.stringify(entries), ContentType: "application/json" })));
    files.push({ key, status });
  }
  const manifestKey = `${prefix}manifest.json`;
  const manifest = {
    DestinationBucket: writer.Bucket,
    MapRunArn: mapRunArn,
    ResultFiles: Object.fromEntries(files.map((f) => [f.status, [{ Key: f.key, Size: 0 }]])),
  };
  await s3Call("ResultWriter", () => s3.send(new PutObjectCommand({ Bucket: writer.Bucket, Key: manifestKey, Body: JSON.stringify(manifest), ContentType: "application/json" })));
  return { Bucket: writer.Bucket, Key: manifestKey };
}

/** Tries of a Map Run's S3 call that meets a transient fault (Step Functions' own service retries its calls). */
const MAP_RUN_S3_ATTEMPTS = 5;

/**
 * A Map Run's S3 call (reading the items, writing the results), its transient faults retried as
 * the service does; what outlasts that fails the state as Step Functions names it
 * (States.ItemReaderFailed / States.ResultWriterFailed), which the state's Retry may take.
 */
async function s3Call<T>(part: "ItemReader" | "ResultWriter", call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isTransient(err) || attempt === MAP_RUN_S3_ATTEMPTS) throw named(`States.${part}Failed`, `S3 ${(err as Error).name}: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt * Math.random()));
    }
  }
}

export function named(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}
