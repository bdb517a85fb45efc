/**
 * What s3rver leaves out or gets wrong, done in front of it:
 * - UploadPartCopy (a part copied from a byte range of another object; s3rver answers NotImplemented);
 * - S3's rules at CompleteMultipartUpload (every part but the last at least 5 MiB, parts listed in
 *   ascending order, each one uploaded: s3rver assembles whatever it is given). Part sizes are
 *   remembered per upload while the endpoint runs; an upload begun before a restart is not checked;
 * - a Range of `bytes=0-0` (s3rver reads an end of 0 as no end and answers the whole object).
 */
import { request, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { AwsError, copySourceOf, s3ObjectOf } from "../protocol.ts";

/** S3's smallest part, but for the last (EntityTooSmall at completion). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's largest part, copied or uploaded. */
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

type ObjectPath = ReturnType<typeof s3ObjectOf>;

const encodePath = ({ bucket, key }: ObjectPath) => `/${encodeURIComponent(bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;

export class S3rverGaps {
  private readonly partSizes = new Map<string, Map<number, number>>();

  constructor(private readonly s3Port: number) {}

  /** A part stored (UploadPart answered 2xx, or a copied part). */
  recordPart(url: string, size: number): void {
    const { uploadId, partNumber } = partOf(url);
    let sizes = this.partSizes.get(uploadId);
    if (!sizes) this.partSizes.set(uploadId, (sizes = new Map()));
    sizes.set(partNumber, size);
  }

  /** S3's checks of a CompleteMultipartUpload body against the parts it has; throws S3's error. */
  checkComplete(url: string, body: Buffer): void {
    const uploadId = new URLSearchParams(url.split("?")[1] ?? "").get("uploadId") ?? "";
    const sizes = this.partSizes.get(uploadId);
    if (!sizes) return;
    const listed = [...body.toString("utf8").matchAll(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/g)].map((m) => Number(m[1]));
    for (let i = 1; i < listed.length; i++) {
      if (listed[i]! <= listed[i - 1]!) throw new AwsError(400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.");
    }
    if (listed.some((number) => !sizes.has(number))) {
      throw new AwsError(400, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.");
    }
    if (listed.slice(0, -1).some((number) => sizes.get(number)! < MIN_PART_BYTES)) throw new AwsError(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size");
  }

  completed(url: string): void {
    this.partSizes.delete(new URLSearchParams(url.split("?")[1] ?? "").get("uploadId") ?? "");
  }

  /**
   * UploadPartCopy: the source's range (x-amz-copy-source-range, else the whole object) streamed
   * from s3rver into the part, answered with S3's CopyPartResult.
   */
  async copyPart(req: { url: string; headers: IncomingHttpHeaders }): Promise<string> {
    const { partNumber } = partOf(req.url);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) throw new AwsError(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
    const source = copySourceOf(String(req.headers["x-amz-copy-source"]));
    const head = await this.call("HEAD", encodePath(source), {});
    head.resume();
    if (head.statusCode === 404) throw new AwsError(404, "NoSuchKey", "The specified key does not exist.");
    const size = Number(head.headers["content-length"]);
    const rangeHeader = req.headers["x-amz-copy-source-range"];
    let [first, last] = [0, size - 1];
    if (rangeHeader !== undefined) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(String(rangeHeader));
      if (!m) throw new AwsError(400, "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy");
      [first, last] = [Number(m[1]), Number(m[2])];
      if (first > last || last >= size) throw new AwsError(400, "InvalidArgument", `Range specified is not valid for source object of size: ${size}`);
    }
    const length = last - first + 1;
    if (length > MAX_PART_BYTES) throw new AwsError(400, "InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120");
    const range = await this.readRange(source, first, last);
    const target = s3ObjectOf(req.url);
    const query = req.url.split("?")[1] ?? "";
    const put = await this.call("PUT", `${encodePath(target)}?${query}`, { "content-length": String(length) }, range);
    put.resume();
    if ((put.statusCode ?? 500) >= 300) throw new AwsError(500, "InternalError", "We encountered an internal error. Please try again.");
    this.recordPart(req.url, length);
    const etag = String(put.headers.etag ?? "");
    return `<?xml version="1.0" encoding="UTF-8"?>\n<CopyPartResult><LastModified>${new Date().toISOString()}</LastModified><ETag>${etag.replace(/"/g, "&quot;")}</ETag></CopyPartResult>`;
  }

  /** GetObject of `bytes=0-0`: the object's first byte, as S3 answers it (206, Content-Range). */
  async firstByte(url: string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const source = s3ObjectOf(url);
    const head = await this.call("HEAD", encodePath(source), {});
    head.resume();
    if (head.statusCode === 404) throw new AwsError(404, "NoSuchKey", "The specified key does not exist.");
    const size = Number(head.headers["content-length"]);
    if (size === 0) throw new AwsError(416, "InvalidRange", "The requested range is not satisfiable");
    const body = await this.firstByteOf(source);
    const headers: Record<string, string> = { "content-length": "1", "content-range": `bytes 0-0/${size}`, "accept-ranges": "bytes" };
    for (const name of ["content-type", "etag", "last-modified"]) if (head.headers[name]) headers[name] = String(head.headers[name]);
    return { status: 206, headers, body };
  }

  /** Bytes first..last of an object (s3rver's own range but for an end of 0). */
  private async readRange(source: ObjectPath, first: number, last: number): Promise<Readable> {
    if (last > 0) return this.call("GET", encodePath(source), { range: `bytes=${first}-${last}` });
    return Readable.from([await this.firstByteOf(source)]);
  }

  private async firstByteOf(source: ObjectPath): Promise<Buffer> {
    const whole = await this.call("GET", encodePath(source), {});
    const byte = await new Promise<Buffer>((resolve, reject) =>
      whole
        .once("data", (c: Buffer) => resolve(c.subarray(0, 1)))
        .once("end", () => resolve(Buffer.alloc(0)))
        .once("error", reject),
    );
    whole.destroy();
    return byte;
  }

  private call(method: string, path: string, headers: Record<string, string>, body?: Readable) {
    return new Promise<IncomingMessage>((resolve, reject) => {
      const upstream = request({ host: "127.0.0.1", port: this.s3Port, method, path, headers }, resolve);
      upstream.on("error", reject);
      if (body) body.pipe(upstream);
      else upstream.end();
    });
  }
}

function partOf(url: string): { uploadId: string; partNumber: number } {
  const params = new URLSearchParams(url.split("?")[1] ?? "");
  return { uploadId: params.get("uploadId") ?? "", partNumber: Number(params.get("partNumber")) };
}
