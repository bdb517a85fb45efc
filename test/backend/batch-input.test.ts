/**
 * Batch payloads into rows, read as a stream: each format, a malformed row as that row's error
 * (its line and reason), a file that cannot be read at all refused naming the line, and the
 * same rows whatever the chunk bounds fall on.
 */
import { describe, expect, it } from "vitest";
import { InvalidInputError, parseJobInput, readJobRows } from "../../shared/batch-input.ts";
import type { JobFormat } from "../../shared/jobs.ts";
import { sentimentParts } from "../../shared/pipeline/documents.ts";
import { utf8Bytes } from "../../shared/comprehend.ts";

async function rowsInChunks(format: JobFormat, body: string, size: number) {
  async function* chunks() {
    for (let i = 0; i < body.length; i += size) yield body.slice(i, i + size);
  }
  const rows = [];
  for await (const row of readJobRows(format, chunks())) rows.push(row);
  return rows;
}

describe("readJobRows", () => {
  const csv = 'id,text\r\nA1,"Great, really ""great"""\r\nA2,"two\nlines"\nA3,plain\n';

  it("reads CSV with quotes, escaped quotes, commas and newlines inside fields, CRLF, and ids, with each row's line", async () => {
    expect(await parseJobInput("csv", csv)).toEqual([
      { line: 2, row: 1, id: "A1", text: 'Great, really "great"' },
      { line: 3, row: 2, id: "A2", text: "two\nlines" },
      { line: 5, row: 3, id: "A3", text: "plain" },
    ]);
  });

  it("reads the same rows whatever the chunk bounds split (a CRLF, an escaped quote, a multi-line field)", async () => {
    const whole = await parseJobInput("csv", csv);
    for (const size of [1, 2, 3, 5, 7, 11]) expect(await rowsInChunks("csv", csv, size)).toEqual(whole);
    const jsonl = '{"id":"x","text":"a"}\r\n\n{"text":"b"}\n';
    const lines = await parseJobInput("jsonl", jsonl);
    for (const size of [1, 2, 3, 5]) expect(await rowsInChunks("jsonl", jsonl, size)).toEqual(lines);
  });

  it("numbers CSV rows when there is no id column", async () => {
    expect(await parseJobInput("csv", "text\nok\nfine\n")).toEqual([
      { line: 2, row: 1, text: "ok" },
      { line: 3, row: 2, text: "fine" },
    ]);
  });

  it.each([
    ["an unterminated quote", 'id,text\n1,ok\n2,"never closed\n3,x\n', /^line 3: unterminated quoted field$/],
    ["a missing text column", "id,body\n1,x\n", /^line 1: the header has no "text" column$/],
    ["nothing in it", "", /^line 1: the CSV is empty$/],
  ])("refuses a CSV file with %s, naming the line", async (_, body, message) => {
    await expect(parseJobInput("csv", body)).rejects.toThrow(InvalidInputError);
    await expect(parseJobInput("csv", body)).rejects.toThrow(message);
  });

  it("fails only the malformed CSV rows, each with its line and reason, and reads the rows after them", async () => {
    expect(await parseJobInput("csv", 'id,text\n1,a\n2,b,c\n3,"a"b\n4,x"y\n5,fine\n')).toEqual([
      { line: 2, row: 1, id: "1", text: "a" },
      { line: 3, row: 2, id: "2", error: "expected 2 fields, found 3" },
      { line: 4, row: 3, id: "3", error: "text after a closing quote" },
      { line: 5, row: 4, id: "4", error: "a quote inside an unquoted field" },
      { line: 6, row: 5, id: "5", text: "fine" },
    ]);
  });

  it("reads JSON lines, failing only the bad lines", async () => {
    expect(await parseJobInput("jsonl", '{"id":"x","text":"a"}\n\n{"text":"b"}\n{"text": nope}\n{"id":"q"}\n')).toEqual([
      { line: 1, row: 1, id: "x", text: "a" },
      { line: 3, row: 2, text: "b" },
      { line: 4, row: 3, error: "not valid JSON" },
      { line: 5, row: 4, id: "q", error: 'expected an object with a string "text"' },
    ]);
  });

  it("reads items JSON, and a long document as the one item it is (the pipeline cuts it into parts Comprehend accepts)", async () => {
    expect(await parseJobInput("items", '{"items":[{"id":7,"text":"a"}]}')).toEqual([{ line: 1, row: 1, id: "7", text: "a" }]);
    await expect(parseJobInput("items", "{nope")).rejects.toThrow(/not valid JSON/);
    const text = "This sentence repeats for a long document. ".repeat(2_000);
    expect(await parseJobInput("text", text)).toEqual([{ line: 1, row: 1, text }]);
    const parts = sentimentParts(text, "en");
    expect(parts.length).toBeGreaterThan(10);
    expect(parts.map((p) => p.text).join("")).toBe(text);
    for (const p of parts) expect(utf8Bytes(p.text)).toBeLessThanOrEqual(5_000);
  });
});
