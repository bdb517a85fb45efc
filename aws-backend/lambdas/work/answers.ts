/**
 * Each document's answer while the results are joined, in typed arrays per language: its four
 * scores as Comprehend's four decimal places (a Uint16 each: the API shows no more) and whether
 * it was answered, refused (the code kept aside; refusals are rare) or never answered. 9 bytes a
 * document, where objects would take ~200.
 */
import type { SentimentScore } from "../../../shared/comprehend.ts";
import { itemErrors, type ItemError } from "../../../shared/pipeline/item-errors.ts";
import type { LanguageDocs } from "./layout.ts";

const NONE = 0;
const ANSWERED = 1;
const REFUSED = 2;

export class DocumentAnswers {
  private readonly byLanguage = new Map<string, { scores: Uint16Array; state: Uint8Array }>();
  private readonly refusals = new Map<string, string>();

  constructor(languages: LanguageDocs[]) {
    for (const { language, docs } of languages) this.byLanguage.set(language, { scores: new Uint16Array(docs * 4), state: new Uint8Array(docs) });
  }

  answer(language: string, seq: number, score: SentimentScore): void {
    const lang = this.byLanguage.get(language);
    if (!lang || seq < 0 || seq >= lang.state.length) return;
    const at = seq * 4;
    lang.scores[at] = Math.round(score.Positive * 10_000);
    lang.scores[at + 1] = Math.round(score.Negative * 10_000);
    lang.scores[at + 2] = Math.round(score.Neutral * 10_000);
    lang.scores[at + 3] = Math.round(score.Mixed * 10_000);
    lang.state[seq] = ANSWERED;
  }

  refuse(language: string, seq: number, errorCode: string): void {
    const lang = this.byLanguage.get(language);
    if (!lang || seq < 0 || seq >= lang.state.length) return;
    lang.state[seq] = REFUSED;
    this.refusals.set(`${language}:${seq}`, errorCode);
  }

  /** The document's scores, Comprehend's refusal of it, or notAnalysed when no answer came. */
  of(language: string, seq: number): SentimentScore | ItemError {
    const lang = this.byLanguage.get(language);
    const state = lang?.state[seq] ?? NONE;
    if (state === REFUSED) return itemErrors.refusedByComprehend(this.refusals.get(`${language}:${seq}`) ?? "UNKNOWN");
    if (state !== ANSWERED) return itemErrors.notAnalysed();
    const at = seq * 4;
    const s = lang!.scores;
    return { Positive: s[at]! / 10_000, Negative: s[at + 1]! / 10_000, Neutral: s[at + 2]! / 10_000, Mixed: s[at + 3]! / 10_000 };
  }
}
