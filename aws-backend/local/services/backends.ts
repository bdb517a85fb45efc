/**
 * S3 and DynamoDB: s3rver and dynalite, run in process on private loopback ports. The local
 * endpoint verifies each request's signature first, then forwards it unchanged but for the
 * access key (s3rver knows only its own account).
 */
import type { Readable } from "node:stream";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo, Server } from "node:net";
import S3rver from "s3rver";
import dynalite from "dynalite";
import { Agent, request, type ServerResponse } from "node:http";

const S3RVER_ACCESS_KEY = "S3RVER";

export interface Backends {
  s3Port: number;
  dynamoPort: number;
  close(): Promise<void>;
}

/** With `dataDir`, objects under dataDir/s3 and tables under dataDir/dynamodb (LevelDB), kept across restarts. */
export async function startBackends(options: { buckets: string[]; dataDir?: string }): Promise<Backends> {
  const dir = options.dataDir ? join(options.dataDir, "s3") : mkdtempSync(join(tmpdir(), "aurastream-s3-"));
  if (options.dataDir) mkdirSync(dir, { recursive: true });
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dir,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  const s3Address = (await s3.run()) as AddressInfo;

  const dynamo: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.dataDir ? { path: join(options.dataDir, "dynamodb") } : {}) });
  await new Promise<void>((resolve) => dynamo.listen(0, "127.0.0.1", resolve));
  const dynamoPort = (dynamo.address() as AddressInfo).port;

  return {
    s3Port: s3Address.port,
    dynamoPort,
    async close() {
      await s3.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      if (!options.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Connections to the backends are reused, but dropped after 2 s idle: s3rver and dynalite close
 * an idle connection after 5 s, and a request sent on one they are closing dies with ECONNRESET.
 */
const backendAgent = new Agent({ keepAlive: true, timeout: 2_000 });

/**
 * Forwards a verified request to a backend and relays its answer byte for byte. The body is a
 * buffer, or (an unsigned-payload S3 upload) the incoming request itself, streamed through.
 */
export function forward(
  port: number,
  req: { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: Buffer | Readable },
  res: ServerResponse,
  rewriteAccessKey = false,
  /** An error to answer instead of the backend's status (its body is dropped), or undefined to relay it. */
  replaceStatus?: (status: number) => Error | undefined,
): Promise<void> {
  const headers: Record<string, string | string[] | undefined> = {
    ...req.headers,
    host: `127.0.0.1:${port}`,
    ...(Buffer.isBuffer(req.body) ? { "content-length": String(req.body.length) } : {}),
  };
  delete headers["transfer-encoding"];
  let path = req.url;
  if (rewriteAccessKey && typeof headers.authorization === "string") {
    headers.authorization = headers.authorization.replace(/Credential=[^/]+\//, `Credential=${S3RVER_ACCESS_KEY}/`);
  }
  // A presigned request, verified here: s3rver sees it as its own account's.
  if (rewriteAccessKey) path = path.replace(/([?&]X-Amz-Credential=)[^%&/]+(%2F|\/)/i, `$1${S3RVER_ACCESS_KEY}$2`);
  return new Promise((resolve, reject) => {
    const upstream = request({ host: "127.0.0.1", port, method: req.method, path, headers, agent: backendAgent }, (answer) => {
      const replaced = replaceStatus?.(answer.statusCode ?? 502);
      if (replaced) {
        answer.resume();
        return reject(replaced);
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on("end", resolve);
      answer.on("error", reject);
    });
    upstream.on("error", reject);
    if (Buffer.isBuffer(req.body)) upstream.end(req.body);
    else req.body.pipe(upstream);
  });
}
