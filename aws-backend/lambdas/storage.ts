/** Reading and writing a job's objects and row (the one place the Lambdas touch S3 and DynamoDB). */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  paginateListObjectsV2,
  type CompletedPart,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { PassThrough } from "node:stream";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { jobPk, type JobRow } from "../../shared/jobs.ts";
import type { BatchDeps } from "./deps.ts";

export async function readText(deps: BatchDeps, key: string): Promise<string> {
  const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
  return (await out.Body?.transformToString("utf-8")) ?? "";
}

/** An object's bytes as they arrive (never the whole object in memory). */
export async function readStream(deps: BatchDeps, key: string): Promise<AsyncIterable<Uint8Array>> {
  const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
  return out.Body as AsyncIterable<Uint8Array>;
}

/** The keys under a prefix, in S3's (lexical) order. */
export async function listKeys(deps: BatchDeps, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: deps.s3 }, { Bucket: deps.bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
  }
  return keys;
}

/**
 * One object written as it is produced: a multipart upload of 5 MiB parts (S3's smallest), one
 * part in flight, so memory stays at about two parts whatever the object's size.
 */
export function writeStream(deps: BatchDeps, key: string, contentType: string) {
  const body = new PassThrough();
  const upload = new Upload({ client: deps.s3, params: { Bucket: deps.bucket, Key: key, Body: body, ContentType: contentType }, partSize: 5 * 1024 * 1024, queueSize: 1 });
  const done = upload.done();
  done.catch(() => {});
  return {
    /** Resolves when the stream can take more (backpressure). */
    async write(text: string): Promise<void> {
      if (!body.write(text)) await new Promise<void>((resolve, reject) => {
        body.once("drain", resolve);
        done.catch(reject);
      });
    },
    async close(): Promise<void> {
      body.end();
      await done;
    },
  };
}

/** S3's smallest part but the last, and its largest (copied or uploaded). */
export const S3_PART_BYTES = { min: 5 * 1024 * 1024, max: 5 * 1024 * 1024 * 1024 } as const;

/**
 * One object made of others, in order, by a multipart upload whose parts are copied inside S3
 * (UploadPartCopy: the bytes never pass through the Lambda) wherever a source has at least a
 * part's 5 MiB left; smaller pieces (a small source, the head of one that completes the part
 * before it, a tail) are read and uploaded. Up to `COPY_CONCURRENCY` parts are in flight, so
 * memory stays under that many 5 MiB pieces whatever the sizes.
 */
export async function concatObjects(deps: BatchDeps, sources: string[], key: string, contentType: string): Promise<void> {
  const sizes = await Promise.all(sources.map(async (source) => (await deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucket, Key: source }))).ContentLength ?? 0));
  const { UploadId } = await deps.s3.send(new CreateMultipartUploadCommand({ Bucket: deps.bucket, Key: key, ContentType: contentType }));
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  /** The next part, sent beside the others (at most COPY_CONCURRENCY at once); `send` answers its ETag. */
  const launch = async (send: (PartNumber: number) => Promise<string | undefined>) => {
    while (inFlight.size >= COPY_CONCURRENCY) await Promise.race(inFlight);
    if (failure) throw failure;
    const part: CompletedPart = { PartNumber: parts.length + 1 };
    parts.push(part);
    const running: Promise<void> = send(part.PartNumber!)
      .then((etag) => void (part.ETag = etag))
      .catch((err: unknown) => void (failure ??= err))
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
  };
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const readRange = async (source: string, first: number, last: number) => {
    const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: source, Range: `bytes=${first}-${last}` }));
    return out.Body!.transformToByteArray();
  };
  const uploadPending = async () => {
    const Body = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    await launch(async (PartNumber) => (await deps.s3.send(new UploadPartCommand({ Bucket: deps.bucket, Key: key, UploadId, PartNumber, Body }))).ETag);
  };
  try {
    for (const [i, source] of sources.entries()) {
      const size = sizes[i]!;
      let offset = 0;
      // What is waiting is smaller than a part: this source's head completes it.
      if (pendingBytes > 0 && size > 0) {
        const take = Math.min(size, S3_PART_BYTES.min - pendingBytes);
        pending.push(await readRange(source, 0, take - 1));
        pendingBytes += take;
        offset = take;
        if (pendingBytes >= S3_PART_BYTES.min) await uploadPending();
      }
      while (size - offset >= S3_PART_BYTES.min) {
        const length = Math.min(S3_PART_BYTES.max, size - offset);
        const CopySourceRange = `bytes=${offset}-${offset + length - 1}`;
        await launch(async (PartNumber) => {
          const out = await deps.s3.send(new UploadPartCopyCommand({ Bucket: deps.bucket, Key: key, UploadId, PartNumber, CopySource: `${deps.bucket}/${source}`, CopySourceRange }));
          return out.CopyPartResult?.ETag;
        });
        offset += length;
      }
      if (offset < size) {
        pending.push(await readRange(source, offset, size - 1));
        pendingBytes += size - offset;
      }
    }
    // The last part may be small (or, for nothing at all, empty).
    if (pendingBytes > 0 || parts.length === 0) await uploadPending();
    await Promise.all(inFlight);
    if (failure) throw failure;
    await deps.s3.send(new CompleteMultipartUploadCommand({ Bucket: deps.bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  } catch (err) {
    await Promise.all(inFlight);
    await deps.s3.send(new AbortMultipartUploadCommand({ Bucket: deps.bucket, Key: key, UploadId })).catch(() => {});
    throw err;
  }
}

/** Parts copied or uploaded at once by concatObjects: S3 copies each server-side, at its own pace. */
const COPY_CONCURRENCY = 8;

export async function readJson<T>(deps: BatchDeps, key: string): Promise<T> {
  return JSON.parse(await readText(deps, key)) as T;
}

export async function writeObject(deps: BatchDeps, key: string, body: string, contentType = "application/json"): Promise<void> {
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: body, ContentType: contentType }));
}

export async function getJob(deps: BatchDeps, jobId: string): Promise<JobRow | undefined> {
  const out = await deps.dynamo.send(new GetCommand({ TableName: deps.table, Key: { pk: jobPk(jobId) }, ConsistentRead: true }));
  return out.Item as JobRow | undefined;
}

/**
 * ADD to the job's progress counters (parts prepared, rows read, parts joined). They are for
 * status pages only: a count that fails is logged and never fails the work it counts.
 */
export async function countProgress(deps: BatchDeps, jobId: string, add: Partial<Record<"parts_prepared" | "rows_prepared" | "parts_joined", number>>): Promise<void> {
  await updateJob(deps, jobId, {}, add).catch((err: Error) => console.error(JSON.stringify({ level: "warn", event: "progress_not_counted", job_id: jobId, error: err.name })));
}

/** SET each field of `fields` on the job's row (and ADD `add`), if the row exists and `condition` holds. */
export async function updateJob(
  deps: BatchDeps,
  jobId: string,
  fields: Partial<JobRow>,
  add?: Partial<Record<keyof JobRow, number>>,
  condition?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> },
): Promise<void> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = Object.entries(fields).map(([k, v], i) => {
    names[`#s${i}`] = k;
    values[`:s${i}`] = v;
    return `#s${i} = :s${i}`;
  });
  const adds = Object.entries(add ?? {}).map(([k, v], i) => {
    names[`#a${i}`] = k;
    values[`:a${i}`] = v;
    return `#a${i} :a${i}`;
  });
  const expression = [sets.length ? `SET ${sets.join(", ")}` : "", adds.length ? `ADD ${adds.join(", ")}` : ""].filter(Boolean).join(" ");
  await deps.dynamo.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: { pk: jobPk(jobId) },
      UpdateExpression: expression,
      ExpressionAttributeNames: { ...names, ...condition?.names },
      ExpressionAttributeValues: { ...values, ...condition?.values },
      ConditionExpression: condition ? `attribute_exists(pk) AND ${condition.expression}` : "attribute_exists(pk)",
    }),
  );
}
