/**
 * Every request answered at once, over raw sockets, by the Worker's two real HTTP fronts: the
 * bundled Worker on workerd's own server (Miniflare, BODY_READ_TIMEOUT_MS 1 s) and `npm run dev`
 * itself (wrangler dev's proxy in front, the default 10 s). A declared length over the limit is
 * 413 before any body is read, a body that stops short or stalls 408 at the body deadline (not
 * sooner, not never), an early 4xx does not wait for a body it will not read, a body longer
 * than declared is read as the declared bytes, and clients that hang up mid-body leave the
 * server answering. The one difference, a client that half-closes mid-body, is wrangler dev's
 * proxy answering 503 itself (README, "Every request answered").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { startLocalAws, type LocalAws } from "../../aws-backend/local/server.ts";
import { LOCAL_DEV_KEY } from "../../worker/auth/api-keys.ts";
import { freePort } from "../local-aws-process.ts";
import { startMiniflareWorker } from "../miniflare-worker.ts";
import { BODY_PROBES, rawRequest, type BodyProbe } from "../raw-http.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Front {
  url: string;
  key: string;
  deadlineMs: number;
  close: () => Promise<void>;
}

async function miniflareFront(): Promise<Front> {
  const endpoint: LocalAws = await startLocalAws({ port: 0 });
  const worker = await startMiniflareWorker(endpoint.url, { BODY_READ_TIMEOUT_MS: "1000" });
  return { url: worker.url, key: await worker.newKey(), deadlineMs: 1_000, close: async () => (await worker.dispose(), await endpoint.close()) };
}

/** `npm run dev` as a user starts it (tools/dev.ts), on free ports. */
async function devFront(): Promise<Front> {
  const [workerPort, awsPort] = [await freePort(), await freePort()];
  const dev: ChildProcess = spawn(process.execPath, ["--import", "tsx", "tools/dev.ts"], {
    cwd: root,
    env: { ...process.env, WORKER_PORT: String(workerPort), LOCAL_AWS_PORT: String(awsPort), LOCAL_AWS_DATA_DIR: "memory" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run dev not ready in 60 s:\n${output.slice(-2_000)}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("[dev] ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    dev.stdout!.on("data", onData);
    dev.stderr!.on("data", onData);
    dev.once("exit", (code) => reject(new Error(`npm run dev exited (${code}):\n${output.slice(-2_000)}`)));
  });
  dev.stdout!.resume();
  dev.stderr!.resume();
  return {
    url: `http://127.0.0.1:${workerPort}`,
    key: LOCAL_DEV_KEY,
    deadlineMs: 10_000,
    close: async () => {
      const exited = new Promise((resolve) => dev.once("exit", resolve));
      dev.kill("SIGTERM");
      await exited;
    },
  };
}

const FRONTS: [string, () => Promise<Front>, boolean][] = [
  ["workerd's HTTP server (Miniflare)", miniflareFront, false],
  ["npm run dev (wrangler dev)", devFront, true],
];

describe.each(FRONTS)("request bodies over raw sockets: %s", (_, start, viaWranglerDev) => {
  let front: Front;
  beforeAll(async () => {
    front = await start();
  }, 90_000);
  afterAll(async () => front?.close(), 30_000);

  it.concurrent.each(BODY_PROBES.map((p) => [p.name, p] as [string, BodyProbe]))("%s", async (_, probe) => {
    const waitMs = front.deadlineMs + 10_000;
    let answer = await rawRequest(front.url, { ...probe.request(front.key), waitMs });
    // wrangler dev's proxy (the dev tool in front of workerd, not the Worker) sometimes sends the
    // head of an early 405 and holds its body for good (1 run in 3, and once twice in a row, on
    // 2026-12-06; the Worker had answered at once, as workerd's own server shows): up to two more
    // tries through it, the last of which must pass. (Held: no answer within the request deadline;
    // rawRequest times from the request's sending, so a held one reads a little under waitMs.)
    for (let retry = 0; retry < 2 && viaWranglerDev && probe.when === "now" && answer.ms >= front.deadlineMs; retry++) {
      answer = await rawRequest(front.url, { ...probe.request(front.key), waitMs });
    }
    const expected = viaWranglerDev && probe.viaWranglerDev !== undefined ? probe.viaWranglerDev : probe.status;
    expect(answer.status, `${probe.name}: answered after ${answer.ms} ms`).toBe(expected);
    if (expected === probe.status) expect(JSON.parse(answer.body)).toMatchObject({ error: { code: probe.code } });
    if (probe.when === "now") expect(answer.ms).toBeLessThan(Math.min(front.deadlineMs, 1_000));
    else {
      expect(answer.ms).toBeGreaterThanOrEqual(front.deadlineMs - 100);
      expect(answer.ms).toBeLessThan(front.deadlineMs + 3_000);
    }
    console.log(`${probe.name.padEnd(52)} ${answer.status} in ${answer.ms} ms`);
  }, 60_000);

  it("keeps answering after clients hang up mid-body", async () => {
    const { port } = new URL(front.url);
    await Promise.all(
      Array.from({ length: 5 }, () => new Promise<void>((resolve) => {
        const socket = connect({ host: "127.0.0.1", port: Number(port) }, () => {
          socket.write(`POST /v1/analyze/sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${front.key}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{"text":"gone`, () => {
            socket.destroy();
            resolve();
          });
        });
      })),
    );
    const body = JSON.stringify({ text: "Still here and answering, great" });
    const answer = await rawRequest(front.url, { path: "/v1/analyze/sync", headers: { authorization: `Bearer ${front.key}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }, body, waitMs: 10_000 });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ sentiment: "POSITIVE" });
  }, 30_000);
});
