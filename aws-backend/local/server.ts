/**
 * The local AWS endpoint: one port for S3, DynamoDB, SQS and Comprehend (LocalStack's
 * convention, so AWS_ENDPOINT_URL works for every SDK client). Every request's SigV4 signature
 * is verified before any service sees it. Admin paths under /_local/ set faults and read usage.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { join } from "node:path";
import { COMPREHEND_TARGET_PREFIX } from "../../shared/comprehend.ts";
import { JOBS_STATUS_INDEX } from "../../shared/jobs.ts";
import { verifySigV4, type LocalCredentials, type SigV4Failure } from "./sigv4.ts";
import { AwsError, parseJsonBody, readBody, s3ObjectOf, sendError, sendJson, type Protocol } from "./protocol.ts";
import { ConnectionReset, FaultInjector, FaultSchema } from "./faults.ts";
import { Usage } from "./usage.ts";
import { ComprehendService, type ComprehendOptions } from "./services/comprehend.ts";
import { SentimentJobs } from "./services/comprehend-jobs.ts";
import { S3Client } from "@aws-sdk/client-s3";
import { LOCAL_ACCOUNT } from "./iam/template.ts";
import { SqsService } from "./services/sqs.ts";
import { forward, startBackends } from "./services/backends.ts";
import { S3rverGaps } from "./services/s3-gaps.ts";
import { LOCAL_DEFAULTS, LOCAL_RESOURCES } from "./resources.ts";
import { accessDeniedMessage, Authorizer } from "./iam/authorizer.ts";
import { stackIam } from "./iam/principals.ts";
import { stackTemplate } from "./iam/template.ts";
import { bucketCorsRules, preflightHeaders, responseCorsHeaders } from "./cors.ts";

// The SDK warns that Node 20 support ends in 2027; these machines run Node 20 by design.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export interface LocalAwsOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  region?: string;
  credentials?: LocalCredentials;
  /**
   * Where S3 objects (s3rver), DynamoDB tables (dynalite's LevelDB) and SQS messages are kept,
   * so they outlive the process (`npm run dev`); omitted, S3 uses a temporary folder and the
   * others memory, all gone at close.
   */
  dataDir?: string;
  /**
   * IAM from the stack's own policies (default on): each principal's calls are checked against
   * its policies and the resources' policies; `false` makes every known key an administrator.
   */
  iam?: boolean;
  /** Comprehend's request rates (default: AWS's, see services/comprehend.ts); tests not about throttling raise them. */
  comprehend?: ComprehendOptions;
  /** Called after each object written (S3's "Object Created" event, as EventBridge would carry it). */
  onObjectCreated?: (event: { bucket: string; key: string }) => void;
  /** Step Functions' StartExecution (the local runner); absent: no state machine exists here. */
  onStartExecution?: (request: { stateMachineArn: string; name?: string; input?: string }) => { executionArn: string; startDate: number };
  /** Step Functions' DescribeExecution (the local runner's executions since it started). */
  onDescribeExecution?: (request: { executionArn: string }) => { executionArn: string; status: string; startDate: number; stopDate?: number };
}

export interface LocalAws {
  url: string;
  port: number;
  region: string;
  /** The administrator's credentials (operators, scripts, test set-up). */
  credentials: LocalCredentials;
  /** Every principal the endpoint knows, with its credentials and policies. */
  authorizer: Authorizer;
  usage: Usage;
  faults: FaultInjector;
  comprehend: ComprehendService;
  /** Comprehend's asynchronous sentiment jobs. */
  comprehendJobs: SentimentJobs;
  close(): Promise<void>;
}

/** Which service a request is for, from its X-Amz-Target (JSON protocols) or else S3. */
function route(req: IncomingMessage): { service: string; operation: string; protocol: Protocol } {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    const [prefix, operation = ""] = target.split(".");
    if (prefix === COMPREHEND_TARGET_PREFIX) return { service: "comprehend", operation, protocol: "json" };
    if (prefix === "DynamoDB_20120810") return { service: "dynamodb", operation, protocol: "json" };
    if (prefix === "AmazonSQS") return { service: "sqs", operation, protocol: "json" };
    if (prefix === "AWSStepFunctions") return { service: "states", operation, protocol: "json" };
  }
  return { service: "s3", operation: s3Operation(req), protocol: "s3" };
}

function s3Operation(req: IncomingMessage): string {
  const [path = "/", query = ""] = (req.url ?? "/").split("?");
  const params = new URLSearchParams(query);
  const isObject = path.split("/").filter(Boolean).length > 1;
  const verb = { GET: "Get", PUT: "Put", HEAD: "Head", DELETE: "Delete", POST: "Post" }[req.method ?? "GET"] ?? "Get";
  if (!isObject) return req.method === "GET" ? "ListObjects" : `${verb}Bucket`;
  // Multipart uploads (lib-storage's Upload writes large results this way).
  if (req.method === "POST" && params.has("uploads")) return "CreateMultipartUpload";
  if (req.method === "PUT" && params.has("uploadId")) return req.headers["x-amz-copy-source"] === undefined ? "UploadPart" : "UploadPartCopy";
  if (req.method === "POST" && params.has("uploadId")) return "CompleteMultipartUpload";
  if (req.method === "DELETE" && params.has("uploadId")) return "AbortMultipartUpload";
  return `${verb}Object`;
}

/** A presigned (query-string signed) request: its payload is UNSIGNED-PAYLOAD by definition. */
function presigned(req: IncomingMessage): boolean {
  return /[?&]X-Amz-Signature=/i.test(req.url ?? "");
}

const FAILURE_CODES: Record<Protocol, Record<SigV4Failure, [number, string]>> = {
  json: {
    MissingAuthentication: [400, "MissingAuthenticationTokenException"],
    IncompleteSignature: [400, "IncompleteSignatureException"],
    UnrecognizedClient: [403, "UnrecognizedClientException"],
    SignatureDoesNotMatch: [403, "InvalidSignatureException"],
    RequestExpired: [403, "InvalidSignatureException"],
    PresignedUrlExpired: [403, "InvalidSignatureException"],
    ContentSha256Mismatch: [400, "InvalidSignatureException"],
  },
  s3: {
    MissingAuthentication: [403, "AccessDenied"],
    IncompleteSignature: [400, "AuthorizationHeaderMalformed"],
    UnrecognizedClient: [403, "InvalidAccessKeyId"],
    SignatureDoesNotMatch: [403, "SignatureDoesNotMatch"],
    RequestExpired: [403, "RequestTimeTooSkewed"],
    // S3's answer to a presigned URL past its X-Amz-Expires.
    PresignedUrlExpired: [403, "AccessDenied"],
    ContentSha256Mismatch: [400, "XAmzContentSHA256Mismatch"],
  },
};

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const host = options.host ?? LOCAL_DEFAULTS.host;
  const region = options.region ?? LOCAL_DEFAULTS.region;
  const credentials = options.credentials ?? {
    accessKeyId: LOCAL_DEFAULTS.accessKeyId,
    secretAccessKey: LOCAL_DEFAULTS.secretAccessKey,
  };
  const authorizer = new Authorizer(options.iam === false ? { principals: [], resourcePolicies: [] } : stackIam(stackTemplate(region), region), credentials, region);
  const usage = new Usage();
  const faults = new FaultInjector();
  const backends = await startBackends({ buckets: [LOCAL_RESOURCES.bucket], dataDir: options.dataDir });
  let url = "";
  const comprehendJobs = new SentimentJobs({
    region,
    account: LOCAL_ACCOUNT,
    usage,
    // Comprehend assumes the job's role: its S3 calls come back through this endpoint, signed as that role.
    s3AsRole: (roleArn) => {
      const role = authorizer.principals.find((p) => p.arn === roleArn);
      if (!role && options.iam !== false) return undefined;
      const credentials = role ? { accessKeyId: role.accessKeyId, secretAccessKey: role.secretAccessKey } : authorizer.principals[0]!;
      return new S3Client({ endpoint: url, region, credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }, forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED" });
    },
    injectedFailure: () => faults.jobFailure(),
    documentError: (op, text) => faults.documentError(op, text),
    quotas: options.comprehend?.jobQuotas,
  });
  const comprehend = new ComprehendService(usage, { documentError: (op, text) => faults.documentError(op, text), jobs: comprehendJobs, ...options.comprehend });
  // Load the engines' models now, not on the first call (about 1.5 s, longer than a deadline).
  comprehend.warmUp();
  const sqs = new SqsService(() => url, region, options.dataDir === undefined ? undefined : join(options.dataDir, "sqs.json"));

  const corsRules = bucketCorsRules(stackTemplate(region));
  const s3rverGaps = new S3rverGaps(backends.s3Port);

  async function handleAws(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { service, operation, protocol } = route(req);
    try {
      // A browser's CORS preflight is unsigned: S3 answers it from the bucket's CORS rules.
      if (protocol === "s3" && req.method === "OPTIONS") {
        req.resume();
        const allowed = preflightHeaders(corsRules, req.headers.origin, req.headers["access-control-request-method"] as string | undefined, req.headers["access-control-request-headers"] as string | undefined);
        if (!allowed) throw new AwsError(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.");
        res.writeHead(200, allowed);
        res.end();
        return;
      }
      if (protocol === "s3") for (const [name, value] of Object.entries(responseCorsHeaders(corsRules, req.headers.origin, req.method ?? "GET"))) res.setHeader(name, value);
      // A presigned upload (its signature never covers the body) is verified without its body and
      // streamed to s3rver: a 5 GB file never sits in memory. (Faults' `match` cannot see its body.)
      const streamed = protocol === "s3" && req.method === "PUT" && presigned(req) && req.headers["content-length"] !== undefined;
      const body = streamed ? Buffer.alloc(0) : await readBody(req);
      const request = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body };
      const verdict = await verifySigV4(request, { secretOf: (id) => authorizer.principalOf(id)?.secretAccessKey, region, service });
      if (!verdict.ok) {
        const [status, code] = FAILURE_CODES[protocol][verdict.failure];
        throw new AwsError(status, code, verdict.message);
      }
      const principal = authorizer.principalOf(verdict.accessKeyId)!;
      const json = protocol === "json" ? parseJsonBody(body) : undefined;
      const call = { service, operation, url: request.url, headers: req.headers, json };
      const authorization = authorizer.authorize(principal, call);
      if (!authorization.ok) {
        const [status, code] = protocol === "s3" ? [403, "AccessDenied"] : service === "sqs" ? [403, "AccessDeniedException"] : [400, "AccessDeniedException"];
        throw new AwsError(status, code, protocol === "s3" ? "Access Denied" : accessDeniedMessage(authorization));
      }
      usage.recordRequest(`${service}:${operation}`);
      await faults.apply(service, operation, body);
      switch (service) {
        case "comprehend":
          return sendJson(res, 200, comprehend.handle(operation, json!));
        case "sqs":
          return sendJson(res, 200, await sqs.handle(operation, json!), "application/x-amz-json-1.0");
        case "dynamodb":
          return await forward(backends.dynamoPort, request, res);
        case "states": {
          if (operation === "StartExecution") {
            if (!options.onStartExecution) throw new AwsError(400, "StateMachineDoesNotExist", `State Machine Does Not Exist: '${String(json!.stateMachineArn)}'`);
            return sendJson(res, 200, options.onStartExecution(json as { stateMachineArn: string; name?: string; input?: string }), "application/x-amz-json-1.0");
          }
          if (operation === "DescribeExecution") {
            if (!options.onDescribeExecution) throw new AwsError(400, "ExecutionDoesNotExist", `Execution Does Not Exist: '${String(json!.executionArn)}'`);
            return sendJson(res, 200, options.onDescribeExecution(json as { executionArn: string }), "application/x-amz-json-1.0");
          }
          throw new AwsError(400, "UnknownOperationException", `Unknown operation ${operation}`);
        }
        default: {
          if (operation === "UploadPartCopy") {
            const xml = await s3rverGaps.copyPart(request);
            res.writeHead(200, { "content-type": "application/xml", "content-length": Buffer.byteLength(xml) });
            return void res.end(xml);
          }
          if (operation === "GetObject" && /^bytes=0-0$/.test(String(req.headers.range ?? ""))) {
            const { status, headers, body: byte } = await s3rverGaps.firstByte(request.url);
            res.writeHead(status, headers);
            return void res.end(byte);
          }
          if (operation === "CompleteMultipartUpload") s3rverGaps.checkComplete(request.url, body);
          const hidesMissing = authorizer.hidesMissingKey(principal, call);
          await forward(backends.s3Port, streamed ? { ...request, body: req } : request, res, true, (status) =>
            status === 404 && hidesMissing ? new AwsError(403, "AccessDenied", "Access Denied") : undefined,
          );
          if (operation === "UploadPart" && res.statusCode < 300) s3rverGaps.recordPart(request.url, body.length);
          if (operation === "CompleteMultipartUpload" && res.statusCode < 300) s3rverGaps.completed(request.url);
          if ((operation === "PutObject" || operation === "CompleteMultipartUpload") && res.statusCode < 300 && options.onObjectCreated) {
            const { bucket, key } = s3ObjectOf(request.url);
            if (bucket && key) options.onObjectCreated({ bucket, key });
          }
          return;
        }
      }
    } catch (err) {
      if (err instanceof ConnectionReset) return void req.socket.destroy();
      const awsError =
        err instanceof AwsError ? err : new AwsError(500, protocol === "s3" ? "InternalError" : "InternalFailure", "Internal failure");
      if (!(err instanceof AwsError)) console.error(`[local-aws] ${service}:${operation} failed:`, err);
      if (!res.headersSent) sendError(res, protocol, awsError);
      else res.destroy();
    }
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    // A web page the developer has open can send "simple" cross-origin requests here (a
    // text/plain POST needs no preflight). Browsers mark every such request with Origin (and
    // Sec-Fetch-Site); the tests, the tools and curl send neither. A POST must be JSON, which a
    // page cannot send cross-origin without a preflight, and nothing here answers one.
    const site = req.headers["sec-fetch-site"];
    if (req.headers.origin !== undefined || (site !== undefined && site !== "none")) {
      req.resume();
      return sendJson(res, 403, { error: "admin paths refuse requests from web pages (Origin or Sec-Fetch-Site present)" }, "application/json");
    }
    if (req.method === "POST" && !/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) {
      req.resume();
      return sendJson(res, 415, { error: "admin POSTs must be Content-Type: application/json" }, "application/json");
    }
    const body = req.method === "POST" ? await readBody(req) : Buffer.alloc(0);
    if (path === "/_local/health") return sendJson(res, 200, { status: "ok" }, "application/json");
    // Comprehend's throttled calls per operation beside the counters (what `npm run abuse` reads as contention).
    if (path === "/_local/usage" && req.method === "GET") return sendJson(res, 200, { ...usage.snapshot(), throttled: Object.fromEntries(comprehend.throttled) }, "application/json");
    if (path === "/_local/usage" && req.method === "DELETE") {
      usage.reset();
      return sendJson(res, 200, usage.snapshot(), "application/json");
    }
    if (path === "/_local/comprehend/received" && req.method === "GET") {
      return sendJson(res, 200, { texts: usage.receivedTexts() }, "application/json");
    }
    if (path === "/_local/faults") {
      if (req.method === "GET") return sendJson(res, 200, { faults: faults.list(), injected: faults.injected }, "application/json");
      if (req.method === "DELETE") {
        // ?match=X clears only the faults set with that marker (tests running side by side).
        faults.clear(new URL(req.url ?? "/", "http://local").searchParams.get("match") ?? undefined);
        return sendJson(res, 200, { faults: faults.list() }, "application/json");
      }
      if (req.method === "POST") {
        let parsed;
        try {
          parsed = FaultSchema.safeParse(JSON.parse(body.toString("utf8")));
        } catch {
          parsed = undefined;
        }
        if (!parsed?.success) {
          return sendJson(res, 400, { error: "expected {operation, kind: throttle|error|latency, count?, status?, latencyMs?}" }, "application/json");
        }
        faults.add(parsed.data);
        return sendJson(res, 201, { faults: faults.list() }, "application/json");
      }
    }
    return sendJson(res, 404, { error: `no admin route ${req.method} ${path}` }, "application/json");
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const handler = path.startsWith("/_local/") ? handleAdmin(req, res, path) : handleAws(req, res);
    handler.catch((err) => {
      console.error("[local-aws] unexpected failure:", err);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Clients (the AWS SDK, workerd) keep connections open; closing one after Node's default 5 s
  // idle races with the client's next request on it (ECONNRESET). AWS's endpoints keep them longer.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? LOCAL_DEFAULTS.port, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${host}:${port}`;

  sqs.createQueue(LOCAL_RESOURCES.deadLetterQueue, { MessageRetentionPeriod: String(14 * 24 * 3600) });
  await createJobsTable(backends.dynamoPort, region);

  return {
    url,
    port,
    region,
    credentials,
    authorizer,
    usage,
    faults,
    comprehend,
    comprehendJobs,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backends.close();
    },
  };
}

/** The stack's jobs table, unless a kept data folder has it already. */
async function createJobsTable(dynamoPort: number, region: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${dynamoPort}`,
    region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const existing = await client.send(new ListTablesCommand({}));
  if (existing.TableNames?.includes(LOCAL_RESOURCES.jobsTable)) return client.destroy();
  await client.send(
    new CreateTableCommand({
      TableName: LOCAL_RESOURCES.jobsTable,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: JOBS_STATUS_INDEX.partitionKey, AttributeType: "S" },
        { AttributeName: JOBS_STATUS_INDEX.sortKey, AttributeType: "S" },
      ],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: JOBS_STATUS_INDEX.name,
          KeySchema: [
            { AttributeName: JOBS_STATUS_INDEX.partitionKey, KeyType: "HASH" },
            { AttributeName: JOBS_STATUS_INDEX.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: [...JOBS_STATUS_INDEX.projected] },
        },
      ],
    }),
  );
  client.destroy();
}
