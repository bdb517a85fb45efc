/**
 * npm run eval:pii: the embedded PII detector's recall and precision per type on Presidio's
 * cases (../shared/datasets/pii/), today's detector against its checksummed patterns alone
 * (the detector before labelled identifiers counted), in the same run.
 *
 * A found entity is right when it overlaps a labelled span of the same type. Recall: labelled
 * spans found; precision: found entities that are right, counted on the types this engine
 * knows. The recognizer cases include numbers Presidio wants left alone even when labelled
 * ("my credit card number is 4012-8888-8888-1882", a Luhn failure): this engine redacts those
 * on purpose, so they show as lost precision there, and the synthetic sentences say what the
 * change costs on ordinary text.
 */
import { pathToFileURL } from "node:url";
import { detectPii, detectPiiByPattern, PII_TYPES, type PiiEntity, type PiiType } from "../../shared/engine/pii.ts";
import { readJsonl } from "../datasets.ts";

const TYPE_OF: Record<string, PiiType> = {
  CREDIT_CARD: "CREDIT_DEBIT_NUMBER",
  US_SSN: "SSN",
  PHONE_NUMBER: "PHONE",
  EMAIL_ADDRESS: "EMAIL",
  IP_ADDRESS: "IP_ADDRESS",
  IBAN_CODE: "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
  US_BANK_NUMBER: "BANK_ACCOUNT_NUMBER",
};

interface Case {
  text: string;
  spans: { type: PiiType; begin: number; end: number }[];
  /** The types the case's labels speak for: a detection of another type is not judged. */
  judged: Set<PiiType>;
}

const jsonl = (file: string) => readJsonl<Record<string, any>>(`pii/${file}`);

/** The data's offsets count code points; the detector's count UTF-16 units. */
const utf16 = (text: string, codePoints: number) => [...text].slice(0, codePoints).join("").length;

const recognizerCases: Case[] = jsonl("presidio_recognizer_test_cases.jsonl")
  .filter((c) => TYPE_OF[c.entity])
  .map((c) => ({
    text: c.text,
    spans: (c.expected_spans as [number, number][]).map(([begin, end]) => ({ type: TYPE_OF[c.entity]!, begin: utf16(c.text, begin), end: utf16(c.text, end) })),
    judged: new Set([TYPE_OF[c.entity]!]),
  }));
const synthCases: Case[] = jsonl("presidio_synth_sample.jsonl").map((c) => ({
  text: c.text,
  spans: (c.spans as { type: string; start: number; end: number }[])
    .filter((s) => TYPE_OF[s.type])
    .map((s) => ({ type: TYPE_OF[s.type]!, begin: utf16(c.text, s.start), end: utf16(c.text, s.end) })),
  judged: new Set(PII_TYPES),
}));

/**
 * The synthetic sentences' cards and SSNs with their checksum broken (a card's last digit moved
 * on, so Luhn fails; an SSN's area made 9xx, never issued): what a typo or a test number looks
 * like. Only values whose sentence names them (card, SSN, social security) are kept: the case
 * a labelled-identifier rule is for; unlabelled, such a number is not known to be one.
 */
const LABEL = /(card|ssn|social security)[^0-9]{0,24}$/i;
const brokenChecksums: Case[] = synthCases.flatMap((c) => {
  const span = c.spans.find((s) => (s.type === "CREDIT_DEBIT_NUMBER" || s.type === "SSN") && LABEL.test(c.text.slice(0, s.begin)));
  if (!span) return [];
  const value = c.text.slice(span.begin, span.end);
  const broken =
    span.type === "SSN" ? `9${value.slice(1)}` : value.slice(0, -1) + String((Number(value.at(-1)) + 1) % 10);
  return [{ text: c.text.slice(0, span.begin) + broken + c.text.slice(span.end), spans: [span], judged: new Set([span.type]) }];
});

const overlaps = (a: { begin: number; end: number }, b: { begin: number; end: number }) => a.begin < b.end && b.begin < a.end;

function score(cases: Case[], detect: (text: string) => PiiEntity[]) {
  const per = new Map<PiiType, { spans: number; found: number; detected: number; right: number }>();
  const of = (t: PiiType) => per.get(t) ?? (per.set(t, { spans: 0, found: 0, detected: 0, right: 0 }), per.get(t)!);
  for (const c of cases) {
    const detected = detect(c.text).filter((e) => c.judged.has(e.type));
    for (const s of c.spans) {
      of(s.type).spans++;
      if (detected.some((e) => e.type === s.type && overlaps(e, s))) of(s.type).found++;
    }
    for (const e of detected) {
      of(e.type).detected++;
      if (c.spans.some((s) => s.type === e.type && overlaps(e, s))) of(e.type).right++;
    }
  }
  return per;
}

const pct = (n: number, d: number) => (d === 0 ? "   -  " : `${((100 * n) / d).toFixed(1).padStart(5)}%`);

export function evalPii(): void {
  console.log("## PII detection: recall and precision per type, checksummed patterns alone -> with labelled identifiers");
  for (const [name, cases] of [["Presidio recognizer cases", recognizerCases], ["Presidio synthetic sentences", synthCases], ["labelled cards and SSNs of the synthetic sentences, checksums broken", brokenChecksums]] as const) {
  const before = score(cases, detectPiiByPattern);
  const after = score(cases, detectPii);
  console.log(`\n${name} (${cases.length} texts)`);
  console.log("type                                spans   recall before -> after   precision before -> after");
  for (const type of PII_TYPES) {
    const b = before.get(type);
    const a = after.get(type);
    if (!a && !b) continue;
    const spans = a?.spans ?? b?.spans ?? 0;
    console.log(
      `${type.padEnd(34)} ${String(spans).padStart(6)}   ${pct(b?.found ?? 0, spans)} -> ${pct(a?.found ?? 0, spans)}         ${pct(b?.right ?? 0, b?.detected ?? 0)} -> ${pct(a?.right ?? 0, a?.detected ?? 0)}`,
    );
  }
}
  console.log("\nNot detected (no reliable offline recogniser here): PERSON names, street addresses, URLs.\n");
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) evalPii();
