/** Batch payloads into items: each format, and malformed input named by its line. */
import { describe, expect, it } from "vitest";
import { InvalidInputError, parseJobInput } from "../../shared/batch-input.ts";
import { sentimentParts } from "../../shared/pipeline/documents.ts";
import { utf8Bytes } from "../../shared/comprehend.ts";

describe("parseJobInput", () => {
  it("reads CSV with quotes, escaped quotes, commas and newlines inside fields, CRLF, and ids", () => {
    const csv = 'id,text\r\nA1,"Great, really ""great"""\r\nA2,"two\nlines"\nA3,plain\n';
    expect(parseJobInput("csv", csv)).toEqual([
      { id: "A1", text: 'Great, really "great"' },
      { id: "A2", text: "two\nlines" },
      { id: "A3", text: "plain" },
    ]);
  });

  it("numbers CSV rows when there is no id column", () => {
    expect(parseJobInput("csv", "text\nok\nfine\n")).toEqual([
      { id: "1", text: "ok" },
      { id: "2", text: "fine" },
    ]);
  });

  it.each([
    ["an unterminated quote", 'id,text\n1,ok\n2,"never closed\n3,x\n', /^line 3: unterminated quoted field$/],
    ["a missing text column", "id,body\n1,x\n", /^line 1: the header has no "text" column$/],
    ["a row with too many fields", "id,text\n1,a\n2,b,c\n", /^line 3: expected 2 fields, found 3$/],
    ["text after a closing quote", 'id,text\n1,"a"b\n', /^line 2: text after a closing quote$/],
  ])("refuses CSV with %s, naming the line", (_, csv, message) => {
    expect(() => parseJobInput("csv", csv)).toThrow(InvalidInputError);
    expect(() => parseJobInput("csv", csv)).toThrow(message);
  });

  it("reads JSON lines and names a bad line", () => {
    expect(parseJobInput("jsonl", '{"id":"x","text":"a"}\n\n{"text":"b"}\n')).toEqual([
      { id: "x", text: "a" },
      { id: "2", text: "b" },
    ]);
    expect(() => parseJobInput("jsonl", '{"text":"a"}\n{"text": nope}\n')).toThrow(/^line 2: not valid JSON$/);
    expect(() => parseJobInput("jsonl", '{"text":"a"}\n{"id":"q"}\n')).toThrow(/^line 2: expected an object/);
  });

  it("reads items JSON, and a long document as the one item it is (the pipeline cuts it into parts Comprehend accepts)", () => {
    expect(parseJobInput("items", '{"items":[{"id":7,"text":"a"}]}')).toEqual([{ id: "7", text: "a" }]);
    const text = "This sentence repeats for a long document. ".repeat(2_000);
    expect(parseJobInput("text", text)).toEqual([{ id: "1", text }]);
    const parts = sentimentParts(text, "en");
    expect(parts.length).toBeGreaterThan(10);
    expect(parts.map((p) => p.text).join("")).toBe(text);
    for (const p of parts) expect(utf8Bytes(p.text)).toBeLessThanOrEqual(5_000);
  });
});
