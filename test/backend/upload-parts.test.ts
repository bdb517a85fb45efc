/**
 * Uploads cut into parts prepared side by side: the cuts fall where rows end, so the parts read
 * on their own give exactly the rows of the whole file (lines, ids, texts, malformed rows), checked
 * on generated CSV and JSON lines full of quotes, commas, CRLF, multi-line fields and UTF-8; then
 * a job of many parts through the state machine (the PrepareParts Distributed Map), fast and async.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { InvalidInputError, parseJobInput, rowId, type InputRow } from "../../shared/batch-input.ts";
import { processedKeys } from "../../shared/jobs.ts";
import { localBatchDeps } from "../../aws-backend/local/batch-deps.ts";
import type { LocalStack } from "../../aws-backend/local/stack.ts";
import { getJob, listKeys, readJson } from "../../aws-backend/lambdas/storage.ts";
import { workKeys } from "../../aws-backend/lambdas/work/layout.ts";
import { planParts, type PartLimits } from "../../aws-backend/lambdas/work/upload-parts.ts";
import type { PartWork } from "../../aws-backend/lambdas/prepare.ts";
import { putJobRow, startBatchTestStack } from "./local-aws.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function* inChunks(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const parse = (format: "csv" | "jsonl", text: string) => parseJobInput(format, text).catch((err: Error) => (err instanceof InvalidInputError ? err.message : Promise.reject(err)));

/** The rows as the whole file gives them, and as its parts give them once put back in place. */
async function wholeAndParts(format: "csv" | "jsonl", text: string, limits: PartLimits, chunk: number) {
  const bytes = encoder.encode(text);
  const whole = await parse(format, text);
  const plan = await planParts(format, inChunks(bytes, chunk), bytes.length, limits).catch((err: Error) => (err instanceof InvalidInputError ? err.message : Promise.reject(err)));
  if (typeof plan === "string" || typeof whole === "string") return { whole, parts: typeof plan === "string" ? plan : "read" };
  const header = bytes.subarray(0, plan.header_end);
  const rows: unknown[] = [];
  let rowsBefore = 0;
  for (const part of plan.parts) {
    const withHeader = part.index > 0 && plan.header_end > 0;
    const piece = decoder.decode(bytes.subarray(part.start, part.end));
    const read = await parse(format, (withHeader ? decoder.decode(header) : "") + piece);
    if (typeof read === "string") return { whole, parts: read };
    const lineOffset = part.first_line - 1 - (withHeader ? plan.header_lines : 0);
    for (const row of read) rows.push(placed(row, rowsBefore, lineOffset));
    rowsBefore += read.at(-1)?.row ?? 0;
  }
  expect(plan.parts.map((p) => p.start)).toEqual([0, ...plan.parts.slice(0, -1).map((p) => p.end)]);
  return { whole: whole.map((row) => placed(row, 0, 0)), parts: rows, count: plan.parts.length };
}

const placed = (row: InputRow, rowsBefore: number, lineOffset: number) => ({ line: row.line + lineOffset, id: rowId(row, rowsBefore), ...("text" in row ? { text: row.text } : { error: row.error }) });

describe("an upload cut into parts", () => {
  it("gives the whole file's rows, lines and ids, for any CSV (quotes, commas, CRLF, multi-line fields, UTF-8, malformed rows)", async () => {
    const field = fc.stringMatching(/^[a-zé日 ,"\n\r]{0,6}$/);
    const csvRow = fc.tuple(fc.option(fc.stringMatching(/^[a-z0-9]{1,3}$/)), field, fc.boolean()).map(([id, text, quote]) => `${id ?? ""},${quote ? `"${text.replace(/"/g, '""')}"` : text}`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(csvRow, field), { maxLength: 25 }),
        fc.constantFrom("\n", "\r\n"),
        fc.record({ maxRows: fc.integer({ min: 1, max: 6 }), maxBytes: fc.integer({ min: 1, max: 40 }) }),
        fc.integer({ min: 1, max: 17 }),
        async (rows, eol, limits, chunk) => {
          const text = ["id,text", ...rows].join(eol) + (rows.length % 2 ? eol : "");
          const { whole, parts } = await wholeAndParts("csv", text, limits, chunk);
          expect(parts).toEqual(whole);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("gives the whole file's rows, lines and ids, for any JSON lines (blank lines, bad JSON, given and missing ids)", async () => {
    const line = fc.oneof(
      fc.record({ id: fc.option(fc.oneof(fc.integer({ min: 0, max: 99 }), fc.stringMatching(/^[a-z]{1,3}$/)), { nil: undefined }), text: fc.stringMatching(/^[a-zé日 \n"]{0,8}$/) }).map((o) => JSON.stringify(o)),
      fc.constantFrom("", "   ", "{nope", "\u3000"),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 25 }), fc.record({ maxRows: fc.integer({ min: 1, max: 6 }), maxBytes: fc.integer({ min: 1, max: 60 }) }), fc.integer({ min: 1, max: 13 }), async (lines, limits, chunk) => {
        const { whole, parts } = await wholeAndParts("jsonl", lines.join("\n"), limits, chunk);
        expect(parts).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a CSV whose quote never closes, as reading it whole does, naming the line", async () => {
    const text = 'id,text\n1,fine\n2,"never closed\n3,more\n';
    await expect(planParts("csv", inChunks(encoder.encode(text), 4), text.length, { maxRows: 1, maxBytes: 1 })).rejects.toThrow("line 3: unterminated quoted field");
    await expect(parseJobInput("csv", text)).rejects.toThrow("line 3: unterminated quoted field");
  });

  it("cuts at a part's row or byte limit, and leaves a file within both whole", async () => {
    const text = "id,text\n" + Array.from({ length: 10 }, (_, i) => `${i},row ${i}`).join("\n") + "\n";
    const plan = (limits: PartLimits) => planParts("csv", inChunks(encoder.encode(text), 5), text.length, limits);
    expect((await plan({ maxRows: 4, maxBytes: 1_000 })).parts.map((p) => p.first_line)).toEqual([1, 6, 10]);
    expect((await plan({ maxRows: 100, maxBytes: 1_000 })).parts).toHaveLength(1);
    expect((await plan({ maxRows: 100, maxBytes: 20 })).parts.length).toBeGreaterThan(3);
  });
});

describe("a job of many parts, through the state machine", () => {
  let stack: LocalStack;
  const JOB_LINES = 4_500;
  beforeAll(async () => {
    // A part holds at most 1,500 rows here (AWS: 1,000,000), so a few thousand rows make several;
    // files over 256 KiB take the async route (AWS: 5 MiB).
    stack = await startBatchTestStack(JOB_LINES, { asyncMinBytes: 256 * 1024, partLimits: { maxRows: 1_500, maxBytes: 1 << 30 } });
  });
  afterAll(() => stack.endpoint.close());

  async function run(rows: string[]) {
    const deps = localBatchDeps(stack.endpoint);
    const { jobId, key } = await putJobRow(deps, "csv", { language_code: "en" });
    await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: ["text", ...rows].join("\n") + "\n" }));
    await stack.idle();
    const read = async (key: string) => (await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }))).Body!.transformToString();
    const results = (await read(processedKeys(jobId).results)).trim().split("\n").map((l) => JSON.parse(l));
    const csv = (await read(processedKeys(jobId).resultsCsv)).trimEnd().split("\r\n");
    const archives = (await listKeys(deps, `processed/${jobId}/work/comprehend/output/`)).filter((k) => k.endsWith("output.tar.gz"));
    return { job: await getJob(deps, jobId), results, csv, parts: await readJson<PartWork[]>(deps, workKeys(jobId).partsPlan), archives };
  }

  it("prepares each part on its own and joins every row back in the file's order, ids and lines across parts", async () => {
    // Row i: a review, every fifth a two-line quoted field (its row takes two lines).
    const rows = Array.from({ length: 4_000 }, (_, i) => (i % 5 === 0 ? `"Terrible support for order ${i},\nI want a refund"` : `"I love product ${i % 2_000}, it works great"`));
    const { job, results, csv, parts } = await run(rows);
    expect(parts.length).toBe(3);
    expect(job).toMatchObject({ status: "COMPLETED", part_count: 3, parts_prepared: 3, rows_prepared: 4_000, parts_joined: 3, summary: { route: "fast", item_count: 4_000, failed_items: 0 } });
    expect(results).toHaveLength(4_000);
    // Without an id column each row's id is its place in the whole file, and its line the file's.
    let line = 2;
    for (const [i, result] of results.entries()) {
      expect(result).toMatchObject({ id: String(i + 1), line, sentiment: i % 5 === 0 ? "NEGATIVE" : "POSITIVE" });
      line += i % 5 === 0 ? 2 : 1;
    }
    // The CSV results joined from the parts': one header, every row in order.
    expect(csv[0]).toMatch(/^id,line,/);
    expect(csv.slice(1).map((row) => row.split(",")[0])).toEqual(results.map((r) => r.id));
    // The summary merged from the parts' counts is the count over every row.
    const negative = results.filter((r) => r.sentiment === "NEGATIVE").length;
    expect(job!.summary!.distribution).toEqual({ POSITIVE: 4_000 - negative, NEGATIVE: negative, NEUTRAL: 0, MIXED: 0 });
    // Repeated texts are one document within a part (i % 2,000 repeats across parts, analysed once in each).
    expect(job!.summary!.units_billed).toBeGreaterThan(3 * 2_000);
  });

  it("runs each part's Comprehend jobs on the async route, every row joined back", async () => {
    const rows = Array.from({ length: 6_000 }, (_, i) => `Order ${i} arrived broken and support never answered`);
    const { job, results, parts, archives } = await run(rows);
    expect(parts.map((p) => p.route)).toEqual(["async", "async", "async", "async"]);
    expect(job).toMatchObject({ status: "COMPLETED", batch_count: 4, batches_done: 4, summary: { route: "async", item_count: 6_000, failed_items: 0, units_billed: 18_000 } });
    expect(archives).toHaveLength(4);
    expect(results.map((r) => r.id)).toEqual(rows.map((_, i) => String(i + 1)));
    expect(results.every((r) => r.sentiment === "NEGATIVE")).toBe(true);
  });
});
