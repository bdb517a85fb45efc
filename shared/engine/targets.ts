/**
 * Embedded targeted sentiment (English), in Comprehend's DetectTargetedSentiment answer: the
 * local endpoint answers that operation with it, and the Worker falls back to it when Comprehend
 * cannot answer in time. A deliberately small reading: a target is a noun phrase led by a
 * determiner or possessive ("the battery", "my order", "your support team"); its sentiment is
 * that of the clause it sits in (clauses end at punctuation and at "but", "and", "although"...).
 * Mentions with the same words are one entity. Offsets count code points, as Comprehend's do.
 */
import type { TargetedMention, TargetedSentimentAnswer } from "../comprehend.ts";
import { analyzeSentiment } from "./sentiment/index.ts";

const DETERMINERS = new Set(["the", "my", "your", "our", "their", "his", "her", "its", "this", "that", "these", "those"]);
const CLAUSE_BREAKS = new Set(["but", "and", "although", "though", "while", "whereas", "however", "yet", "so"]);
/** Words that end a noun phrase rather than extend it. */
const NOT_NOUNS = new Set([
  "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "does", "do", "did", "will", "would", "can", "could",
  "should", "may", "might", "must", "not", "very", "really", "so", "too", "quite", "just", "also", "always", "never", "still",
  "of", "in", "on", "at", "to", "for", "with", "from", "by", "about", "as", "than", "then", "it", "i", "you", "we", "they", "he", "she",
  "a", "an", "keeps", "kept", "works", "worked", "broke", "looks", "feels", "seems", "arrived", "came", "stopped", "crashes", "crashed",
  "dies", "died", "gets", "got", "lasts", "lasted", "runs", "ran", "takes", "took", "makes", "made", "needs", "goes", "went",
]);
const MAX_PHRASE_WORDS = 3;

interface Word {
  text: string;
  begin: number;
  end: number;
}

export function detectTargets(text: string): TargetedSentimentAnswer {
  const words = wordsOf(text);
  const clauses = clausesOf(text, words);
  const groups = new Map<string, TargetedMention[]>();
  for (const clause of clauses) {
    const sentiment = analyzeSentiment(clause.text, "en");
    for (let i = 0; i < clause.words.length; i++) {
      if (!DETERMINERS.has(clause.words[i]!.text.toLowerCase())) continue;
      const phrase: Word[] = [clause.words[i]!];
      for (let j = i + 1; j < clause.words.length && phrase.length <= MAX_PHRASE_WORDS; j++) {
        const w = clause.words[j]!;
        if (NOT_NOUNS.has(w.text.toLowerCase()) || !/^\p{L}/u.test(w.text)) break;
        phrase.push(w);
      }
      if (phrase.length < 2) continue;
      const mentionText = [...text].slice(phrase[0]!.begin, phrase.at(-1)!.end).join("");
      const key = phrase.slice(1).map((w) => w.text.toLowerCase()).join(" ");
      const mention: TargetedMention = {
        BeginOffset: phrase[0]!.begin,
        EndOffset: phrase.at(-1)!.end,
        Score: 0.9,
        GroupScore: 1,
        Text: mentionText,
        Type: "OTHER",
        MentionSentiment: sentiment,
      };
      groups.set(key, [...(groups.get(key) ?? []), mention]);
      i += phrase.length - 1;
    }
  }
  return { Entities: [...groups.values()].map((mentions) => ({ DescriptiveMentionIndex: [0], Mentions: mentions })) };
}

/** Words with code-point offsets. */
function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  const points = [...text];
  let i = 0;
  while (i < points.length) {
    if (!/[\p{L}\p{N}'’-]/u.test(points[i]!)) {
      i++;
      continue;
    }
    const begin = i;
    while (i < points.length && /[\p{L}\p{N}'’-]/u.test(points[i]!)) i++;
    words.push({ text: points.slice(begin, i).join(""), begin, end: i });
  }
  return words;
}

/** Clauses: runs of words between punctuation marks and clause-breaking conjunctions. */
function clausesOf(text: string, words: Word[]): { text: string; words: Word[] }[] {
  const points = [...text];
  const clauses: { text: string; words: Word[] }[] = [];
  let current: Word[] = [];
  const close = () => {
    if (current.length) clauses.push({ text: points.slice(current[0]!.begin, current.at(-1)!.end).join(""), words: current });
    current = [];
  };
  let last = 0;
  for (const word of words) {
    if (/[,.;:!?]/u.test(points.slice(last, word.begin).join(""))) close();
    if (CLAUSE_BREAKS.has(word.text.toLowerCase())) close();
    else current.push(word);
    last = word.end;
  }
  close();
  return clauses;
}
