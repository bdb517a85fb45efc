/**
 * Embedded PII detector: pattern candidates confirmed by checksums and validity rules
 * (Luhn for cards, ISO 13616 mod-97 for IBANs, SSA rules for SSNs, a real IPv6 parser).
 * Pure string code: it runs in workerd (edge redaction) and in Node (the local Comprehend).
 * Offsets are UTF-16 code-unit indices, as JavaScript strings slice.
 */

/** Comprehend's DetectPiiEntities type names, for the types this engine finds. */
export const PII_TYPES = [
  "EMAIL",
  "PHONE",
  "CREDIT_DEBIT_NUMBER",
  "SSN",
  "IP_ADDRESS",
  "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
  "BANK_ACCOUNT_NUMBER",
] as const;
export type PiiType = (typeof PII_TYPES)[number];

export interface PiiEntity {
  type: PiiType;
  begin: number;
  end: number;
}

/** What replaces an entity in redacted text. */
export const REDACTION_TAG: Record<PiiType, string> = {
  EMAIL: "[EMAIL]",
  PHONE: "[PHONE]",
  CREDIT_DEBIT_NUMBER: "[CREDIT_CARD]",
  SSN: "[SSN]",
  IP_ADDRESS: "[IP_ADDRESS]",
  INTERNATIONAL_BANK_ACCOUNT_NUMBER: "[IBAN]",
  BANK_ACCOUNT_NUMBER: "[BANK_ACCOUNT]",
};

/** When two candidates overlap, the earlier type in this list wins (then the longer one). */
const PRIORITY: PiiType[] = [
  "EMAIL",
  "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
  "CREDIT_DEBIT_NUMBER",
  "SSN",
  "BANK_ACCOUNT_NUMBER",
  "IP_ADDRESS",
  "PHONE",
];

interface Recognizer {
  type: PiiType;
  pattern: RegExp;
  /** Confirms a candidate; may return a narrower [begin, end) within the match. */
  accept(match: RegExpMatchArray): boolean;
}

const EMAIL =
  /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])(?![\w-]|\.[A-Za-z0-9])/g;

const CARD =
  /(?<![\w-])(?:\d{12,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5})(?![\w-])/g;

const SSN = /(?<![\w.-])(\d{3})([- .]?)(\d{2})([- .]?)(\d{4})(?![\w-]|\.\d)/g;

const IBAN = /(?<![\w])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?(?![\w])/g;

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4_CORE = `${OCTET}(?:\\.${OCTET}){3}`;
const IPV4 = new RegExp(
  `(?<![\\w.])${IPV4_CORE}(?:/(?:3[0-2]|[12]?\\d))?(?![\\w]|\\.\\d)`,
  "g",
);
const IPV6 = new RegExp(
  `(?<![\\w:.])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(?:${IPV4_CORE})?` +
    `(?:%[A-Za-z0-9]+)?(?:/(?:12[0-8]|1[01]\\d|[1-9]?\\d))?(?![\\w:]|\\.\\d)`,
  "g",
);

/** An extension after a phone number: "x4587", " ext. 12". */
const PHONE_EXTENSION = " ?(?:x|ext\\.? ?)\\d{1,5}";
const PHONE = new RegExp(
  `(?<![\\w.+:-]|\\d[ -])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,4}\\)[ .-]?)?\\d{1,15}(?:[ .-]\\d{1,8}){0,5}(?:${PHONE_EXTENSION})?(?![\\w]|[.-]\\d)`,
  "g",
);
const TRAILING_EXTENSION = new RegExp(`${PHONE_EXTENSION}$`);

const RECOGNIZERS: Recognizer[] = [
  { type: "EMAIL", pattern: EMAIL, accept: () => true },
  { type: "CREDIT_DEBIT_NUMBER", pattern: CARD, accept: (m) => luhnValid(digitsOf(m[0])) },
  { type: "SSN", pattern: SSN, accept: acceptSsn },
  { type: "INTERNATIONAL_BANK_ACCOUNT_NUMBER", pattern: IBAN, accept: (m) => ibanValid(m[0]) },
  { type: "IP_ADDRESS", pattern: IPV4, accept: () => true },
  { type: "IP_ADDRESS", pattern: IPV6, accept: (m) => ipv6Valid(m[0]) },
  { type: "PHONE", pattern: PHONE, accept: acceptPhone },
];

/**
 * A number its writer labelled ("SSN 123-45-6789", "card number: 4012 ...", "account #
 * 00123456") is that identifier whatever its checksum: a mistyped or never-issued SSN is still
 * one to whoever reads it, so redaction errs on the safe side. The label's own match is not
 * redacted, only the number after it (a few connecting words or marks allowed).
 */
const LABEL_TAIL = String.raw`(?:\s*(?:number|no\.?|nr\.?|num|#|is|was|=|:|-|\.|\?)){0,4}\s*`;
const labelled = (label: string, number: string) => new RegExp(String.raw`\b(?:${label})${LABEL_TAIL}(${number})(?![\w-])`, "dgi");
const LABELLED_RECOGNIZERS: Recognizer[] = [
  { type: "SSN", pattern: labelled(String.raw`ssn|ss#|social[ -]security`, String.raw`\d{3}([- .]?)\d{2}\2\d{4}`), accept: () => true },
  { type: "CREDIT_DEBIT_NUMBER", pattern: labelled(String.raw`(?:credit|debit|bank)[ -]?card|card|cc`, String.raw`\d(?:[ -]?\d){11,18}`), accept: () => true },
  { type: "BANK_ACCOUNT_NUMBER", pattern: labelled(String.raw`(?:bank |checking |savings )?(?:account|acct|a\/c)`, String.raw`\d(?:[ -]?\d){5,16}`), accept: () => true },
];

/** What is found: checksummed patterns, and any number labelled as an identifier. */
export function detectPii(text: string): PiiEntity[] {
  return detectPiiWith([...RECOGNIZERS, ...LABELLED_RECOGNIZERS], text);
}

/** The checksummed patterns alone (the engine before labels counted): `npm run eval:pii`'s baseline. */
export function detectPiiByPattern(text: string): PiiEntity[] {
  return detectPiiWith(RECOGNIZERS, text);
}

function detectPiiWith(recognizers: Recognizer[], text: string): PiiEntity[] {
  const found: PiiEntity[] = [];
  for (const r of recognizers) {
    for (const m of text.matchAll(r.pattern)) {
      if (m[0].length === 0 || !r.accept(m)) continue;
      // A labelled recognizer's number is its first group; the label stays.
      const [begin, end] = m.indices?.[1] ?? [m.index!, m.index! + m[0].length];
      found.push({ type: r.type, begin, end });
    }
  }
  return resolveOverlaps(found);
}

export interface Redaction {
  text: string;
  entities: PiiEntity[];
}

/** Replaces every entity with its tag; `entities` keep their offsets in the original text. */
export function redactPii(text: string, entities: PiiEntity[] = detectPii(text)): Redaction {
  let out = "";
  let cursor = 0;
  for (const e of entities) {
    out += text.slice(cursor, e.begin) + REDACTION_TAG[e.type];
    cursor = e.end;
  }
  return { text: out + text.slice(cursor), entities };
}

/** Types and counts only: what may be shown or stored about PII, never the values. */
export function countPiiTypes(entities: PiiEntity[]): Partial<Record<PiiType, number>> {
  const counts: Partial<Record<PiiType, number>> = {};
  for (const e of entities) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return counts;
}

function resolveOverlaps(found: PiiEntity[]): PiiEntity[] {
  const rank = (e: PiiEntity) => PRIORITY.indexOf(e.type);
  const byPreference = [...found].sort(
    (a, b) => rank(a) - rank(b) || b.end - b.begin - (a.end - a.begin) || a.begin - b.begin,
  );
  const kept: PiiEntity[] = [];
  for (const e of byPreference) {
    if (!kept.some((k) => e.begin < k.end && k.begin < e.end)) kept.push(e);
  }
  return kept.sort((a, b) => a.begin - b.begin);
}

function digitsOf(s: string): string {
  return s.replace(/\D/g, "");
}

export function luhnValid(digits: string): boolean {
  if (digits.length < 12 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Numbers the SSA never issues, or published as examples. */
const SSN_NEVER_ISSUED = new Set(["078051120", "219099999", "123456789"]);

function acceptSsn(m: RegExpMatchArray): boolean {
  const [, area, sep1, group, sep2, serial] = m;
  if (sep1 && sep2 && sep1 !== sep2) return false;
  if (area === "000" || area === "666" || area!.startsWith("9")) return false;
  if (group === "00" || serial === "0000") return false;
  return !SSN_NEVER_ISSUED.has(area! + group! + serial!);
}

export function ibanValid(candidate: string): boolean {
  const iban = candidate.replace(/ /g, "").toUpperCase();
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= "A" && ch <= "Z" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

function ipv6Valid(candidate: string): boolean {
  const address = candidate.replace(/\/\d+$/, "").replace(/%\w+$/, "");
  if (address.includes(":::")) return false;
  const halves = address.split("::");
  if (halves.length > 2) return false;
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":"));
  const groups = halves.flatMap(groupsOf);
  let count = 0;
  for (const [i, g] of groups.entries()) {
    if (g.includes(".")) {
      if (i !== groups.length - 1 || !new RegExp(`^${IPV4_CORE}$`).test(g)) return false;
      count += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** A phone number has 7 to 15 digits, and is written with separators or a country code. */
function acceptPhone(m: RegExpMatchArray): boolean {
  const s = m[0].replace(TRAILING_EXTENSION, "");
  const digits = digitsOf(s);
  if (digits.length < 7 || digits.length > 15) return false;
  // Written like an SSN (3-2-4) but not a valid one: not a phone either.
  if (/^\d{3}([- ])\d{2}\1\d{4}$/.test(s)) return false;
  if (/^\d+$/.test(s)) return digits.length === 10 || (digits.length === 11 && s.startsWith("1"));
  // Dates (possibly followed by the hour of a timestamp) are not phones.
  if (/^\d{4}[-./]\d{1,2}[-./]\d{1,2}\b|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/.test(s)) return false;
  // Dotted numbers are versions, amounts or addresses unless written like 415.555.0132.
  if (s.includes(".") && (/[ -]/.test(s) || digits.length < 10)) return false;
  return true;
}
