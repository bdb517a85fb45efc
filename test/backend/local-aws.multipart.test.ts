/**
 * S3 multipart uploads on the local endpoint as strict as S3's: UploadPartCopy (a part copied from
 * a range of another object, which s3rver lacks), S3's rules at completion (parts of at least
 * 5 MiB but the last, in order, each uploaded), IAM on the copy's source; and concatObjects, which
 * joins objects with it, checked byte for byte with the SDK.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand, UploadPartCommand, UploadPartCopyCommand } from "@aws-sdk/client-s3";
import { LOCAL_RESOURCES, localCredentials } from "../../aws-backend/local/resources.ts";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import { concatObjects, S3_PART_BYTES } from "../../aws-backend/lambdas/storage.ts";
import { sdkClients, startLocalAws, type LocalAws } from "./local-aws.ts";

let endpoint: LocalAws;
beforeAll(async () => {
  endpoint = await startLocalAws({ port: 0 });
});
afterAll(() => endpoint.close());

const Bucket = LOCAL_RESOURCES.bucket;
const MiB = 1024 * 1024;
const refusal = (p: Promise<unknown>) => p.then(() => "allowed", (err: Error & { $metadata?: { httpStatusCode?: number } }) => `${err.name} ${err.$metadata?.httpStatusCode}`);

/** Bytes that differ at every position (a misplaced range shows). */
function bytes(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

async function put(key: string, body: Buffer): Promise<void> {
  await sdkClients(endpoint).s3.send(new PutObjectCommand({ Bucket, Key: key, Body: body }));
}

async function get(key: string): Promise<Buffer> {
  const out = await sdkClients(endpoint).s3.send(new GetObjectCommand({ Bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

describe("UploadPartCopy and S3's multipart rules", () => {
  it("copies a byte range of another object into a part", async () => {
    const s3 = sdkClients(endpoint).s3;
    const source = bytes(6 * MiB + 123, 1);
    await put("processed/mp_copy/source", source);
    const Key = "processed/mp_copy/joined";
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const first = await s3.send(new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber: 1, CopySource: `${Bucket}/processed/mp_copy/source`, CopySourceRange: `bytes=100-${5 * MiB + 99}` }));
    expect(first.CopyPartResult?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const second = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 2, Body: Buffer.from("tail") }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: first.CopyPartResult!.ETag }, { PartNumber: 2, ETag: second.ETag }] } }));
    expect((await get(Key)).equals(Buffer.concat([source.subarray(100, 5 * MiB + 100), Buffer.from("tail")]))).toBe(true);
  });

  it("refuses a part under 5 MiB that is not the last (EntityTooSmall), parts out of order, and a range past the source", async () => {
    const s3 = sdkClients(endpoint).s3;
    const Key = "processed/mp_rules/joined";
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const one = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: Buffer.from("small") }));
    const two = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 2, Body: Buffer.from("last") }));
    const complete = (Parts: { PartNumber: number; ETag?: string }[]) => refusal(s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } })));
    expect(await complete([{ PartNumber: 2, ETag: two.ETag }, { PartNumber: 1, ETag: one.ETag }])).toBe("InvalidPartOrder 400");
    expect(await complete([{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 3, ETag: two.ETag }])).toBe("InvalidPart 400");
    expect(await complete([{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.ETag }])).toBe("EntityTooSmall 400");

    await put("processed/mp_rules/source", Buffer.from("0123456789"));
    const copy = (range: string) => refusal(s3.send(new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber: 3, CopySource: `${Bucket}/processed/mp_rules/source`, CopySourceRange: range })));
    expect(await copy("bytes=5-10")).toBe("InvalidArgument 400");
    expect(await copy("bytes=7-3")).toBe("InvalidArgument 400");
    expect(await copy("bytes=0-9")).toBe("allowed");
    expect(await refusal(s3.send(new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber: 4, CopySource: `${Bucket}/processed/mp_rules/missing` })))).toBe("NoSuchKey 404");
  });

  it("answers a Range of bytes=0-0 with the first byte, as S3 does", async () => {
    await put("processed/mp_range/source", Buffer.from("abcdef"));
    const out = await sdkClients(endpoint).s3.send(new GetObjectCommand({ Bucket, Key: "processed/mp_range/source", Range: "bytes=0-0" }));
    expect([await out.Body!.transformToString(), out.ContentRange, out.$metadata.httpStatusCode]).toEqual(["a", "bytes 0-0/6", 206]);
  });

  it("holds a copy to the principal's policies: writing the target and reading the source", async () => {
    await put("uploads/mp_iam/input", Buffer.from("id,text\n1,fine\n"));
    const copyAs = async (principal: string, source: string) => {
      const s3 = sdkClients(endpoint, localCredentials(principal)).s3;
      const Key = "processed/mp_iam/joined";
      const { UploadId } = await sdkClients(endpoint).s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
      return refusal(s3.send(new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber: 1, CopySource: `${Bucket}/${source}` })));
    };
    expect(await copyAs("prepare", "uploads/mp_iam/input")).toBe("allowed");
    // aggregate reads and writes processed/ only; load-batch only reads.
    expect(await copyAs("aggregate", "uploads/mp_iam/input")).toBe("AccessDenied 403");
    expect(await copyAs("load-batch", "uploads/mp_iam/input")).toBe("AccessDenied 403");
  });
});

describe("concatObjects", () => {
  // Around the 5 MiB part (and a one-byte range, which s3rver alone answers with the whole object): sources copied whole, small ones buffered, a head completing a part, a tail, empties.
  const cases: [string, number[]][] = [
    ["small sources only", [10, 0, 2_000, 1]],
    ["large, small, large, small", [7 * MiB, 1024, 6 * MiB, 100]],
    ["exactly a part, then a part less a byte", [S3_PART_BYTES.min, S3_PART_BYTES.min - 1, 3]],
    ["one source", [5 * MiB + 7]],
  ];
  it.each(cases)("joins %s into one object byte for byte", async (name, sizes) => {
    const prefix = `processed/concat_${name.replace(/\W+/g, "_")}/`;
    const sources = sizes.map((size, i) => ({ key: `${prefix}part-${i}`, body: bytes(size, i + 1) }));
    for (const s of sources) await put(s.key, s.body);
    const target = `${prefix}joined`;
    await concatObjects(localBatchDeps(endpoint, "aggregate"), sources.map((s) => s.key), target, "text/plain");
    expect((await get(target)).equals(Buffer.concat(sources.map((s) => s.body)))).toBe(true);
  });

  it("fails, leaving no object, when S3 keeps failing a copy (the other parts in flight settle first)", async () => {
    const sources = [0, 1, 2].map((i) => ({ key: `processed/concat_fails/part-${i}`, body: bytes(5 * MiB + i, i + 1) }));
    for (const s of sources) await put(s.key, s.body);
    endpoint.faults.add({ operation: "s3:UploadPartCopy", kind: "error", status: 500, count: 100, errorCode: "INTERNAL_SERVER_ERROR", latencyMs: 0, probability: 1 });
    try {
      const deps = localBatchDeps(endpoint, "aggregate", { s3: sdkClients(endpoint, localCredentials("aggregate")).s3 });
      const outcome = await concatObjects(deps, sources.map((s) => s.key), "processed/concat_fails/joined", "text/plain").then(() => "joined", (err: Error) => err.name);
      expect(outcome).toBe("InternalError");
    } finally {
      endpoint.faults.clear();
    }
    expect(await refusal(sdkClients(endpoint).s3.send(new GetObjectCommand({ Bucket, Key: "processed/concat_fails/joined" })))).toBe("NoSuchKey 404");
  });
});
