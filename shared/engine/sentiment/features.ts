/**
 * What the embedded sentiment engine reads in a text: sparse token features (words and word
 * pairs; character pairs where words are not separated by spaces) and a few dense ones from the
 * polarity lexicons (words, emoji, emoticons), with negation. The trainer (tools/train-sentiment.ts)
 * and the engine call the same function, so a model sees at run time what it was trained on.
 */

/** Languages written without spaces between words: read as characters and character pairs. */
const UNSPACED = new Set(["ja", "zh", "zh-TW"]);

/** Words that flip the polarity of the next few words, per language (VADER's idea, kept small). */
const NEGATORS: Record<string, readonly string[]> = {
  en: ["not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without", "cannot", "cant", "dont", "doesnt", "didnt", "isnt", "wasnt", "wont", "aint", "n't"],
  es: ["no", "nunca", "jamás", "nada", "ni", "sin", "tampoco", "ningún", "ninguna"],
  fr: ["ne", "pas", "jamais", "rien", "sans", "aucun", "aucune", "ni", "non"],
  de: ["nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "nichts", "ohne", "weder"],
  it: ["non", "mai", "niente", "nulla", "senza", "nessuno", "nessuna", "né"],
  pt: ["não", "nao", "nunca", "nada", "nem", "sem", "jamais", "nenhum", "nenhuma"],
  ar: ["لا", "لم", "لن", "ليس", "ليست", "ما", "مش", "مو", "بدون", "غير"],
  hi: ["नहीं", "न", "मत", "nahi", "nahin", "na", "mat", "not", "no", "never"],
  ko: ["안", "못"],
  zh: ["不", "没", "別", "别", "无", "無", "未"],
};
/** Words that turn a sentence ("good screen, but the battery..."): what follows weighs more. */
const CONTRASTS = new Set(["but", "however", "although", "though", "pero", "sino", "mais", "cependant", "aber", "jedoch", "ma", "però", "mas", "porém", "لكن", "ولكن", "lekin", "magar", "하지만", "그런데", "그러나"]);
/** VADER's weights for the words before and after a contrast. */
const BEFORE_CONTRAST = 0.5;
const AFTER_CONTRAST = 1.5;
/** How many words after a negator it reaches. */
const NEGATION_SPAN = 3;
const NEGATION_FACTOR = -0.74;
/** Characters after a Japanese entry its negation may sit in (満足できません: 5). */
const JA_NEGATION_REACH = 5;
/** Letters a word's stem keeps. */
const STEM = 5;

/** Where a lexicon entry is looked up: per word, or (unspaced scripts) as a substring. */
export interface Lexicon {
  /** Entry -> valence in [-4, 4] (VADER's scale; AFINN's [-5, 5] is scaled into it). */
  words: Record<string, number>;
  /** Entries of two or more characters, longest first, for languages without spaces. */
  substrings?: string[];
  /**
   * Customer-support complaint words (refund, crashes, overcharged) -> strength: a dense feature
   * of its own with a fixed weight, because tweets, the labelled data there is, hardly use them.
   */
  complaints?: Record<string, number>;
  /**
   * Hedges of review language ("a little", "but", "so-so", 略, まあまあ): a dense feature of its own
   * with a fixed weight towards NEUTRAL, because a three-star review says its good and its bad in
   * one breath, where a neutral tweet says neither. Read as substrings, with a `substrings` lexicon.
   */
  hedges?: string[];
}

export interface Features {
  /** The text as every feature reads it (normalized()): what the character grams are read from. */
  normalized: string;
  /** Sparse features, each present once (binary). */
  tokens: string[];
  /** Dense features by name. */
  dense: Record<string, number>;
}

const URL = /\b(?:https?:\/\/|www\.)\S+/giu;
const MENTION = /@\w+/gu;
const TOKEN = /<url>|<user>|[\p{L}\p{M}\p{N}_]+(?:['’][\p{L}]+)?|\p{Extended_Pictographic}\u{FE0F}?|[:;=8][-o^']?[()[\]dpo/\\|*3$@]|[()[\]][-o^']?[:;=8]|<\/?3|[!?]/gu;
const EMOJI = /^\p{Extended_Pictographic}/u;
const LETTER = /\p{L}/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** `emoji`: emoji and emoticons (":)", "<3") -> valence, for every language. */
export function featuresOf(text: string, language: string, lexicon: Lexicon | undefined, emoji: Record<string, number>): Features {
  const lower = normalized(text);
  const tokens = new Set<string>();
  let emojiPos = 0, emojiNeg = 0, exclaims = 0, questions = 0, complaint = 0, hedges = 0;
  const negators = NEGATORS[language] ?? [];
  const unspaced = UNSPACED.has(language);
  let negatedFor = 0;
  let previous = "";

  // Valences by clause: before the last contrast word, and after it.
  const before = { pos: 0, neg: 0 };
  let after: { pos: number; neg: number } | undefined;
  const score = (valence: number) => {
    const side = after ?? before;
    if (valence > 0) side.pos += valence;
    else side.neg -= valence;
  };

  for (const match of lower.matchAll(TOKEN)) {
    const token = match[0];
    if (token === "!") { exclaims++; continue; }
    if (token === "?") { questions++; continue; }
    const bare = token.replace("\u{FE0F}", "");
    const face = LETTER.test(bare) ? undefined : entry(emoji, bare);
    if (face !== undefined || EMOJI.test(bare)) {
      tokens.add(`e:${bare}`);
      const v = face ?? 0;
      if (v > 0) emojiPos += v;
      else emojiNeg -= v;
      // An emoji is a polar word too: "👍" alone is a positive message.
      score(negatedFor > 0 ? v * NEGATION_FACTOR : v);
      previous = "";
      continue;
    }
    if (unspaced && CJK.test(token)) {
      const chars = [...token];
      for (let i = 0; i < chars.length; i++) {
        tokens.add(`c:${chars[i]}`);
        if (i + 1 < chars.length) tokens.add(`c:${chars[i]}${chars[i + 1]}`);
      }
      previous = "";
      continue;
    }
    tokens.add(`w:${token}`);
    if (previous) tokens.add(`b:${previous} ${token}`);
    if (CONTRASTS.has(token)) {
      if (after) (before.pos += after.pos), (before.neg += after.neg);
      after = { pos: 0, neg: 0 };
    }
    // A crude stem: inflections of a word share it (excelente, excelentes; schlecht, schlechte).
    if (token.length > STEM + 1) tokens.add(`s:${token.slice(0, STEM)}`);
    if (language === "ko") {
      const chars = [...token];
      // Syllables and syllable pairs: a Korean word's stem and endings share them (five-fold on
      // the kit's NSMC sample: pairs 74.9%, with syllables 75.5%, with triples too 75.5%).
      for (let i = 0; i < chars.length; i++) {
        tokens.add(`c:${chars[i]}`);
        if (i + 1 < chars.length) tokens.add(`c:${chars[i]}${chars[i + 1]}`);
      }
    }
    previous = token;
    const valence = lexicon && entry(lexicon.words, token);
    if (valence !== undefined && !lexicon?.substrings) score(negatedFor > 0 ? valence * NEGATION_FACTOR : valence);
    const grievance = lexicon?.complaints && entry(lexicon.complaints, token);
    if (grievance && negatedFor === 0) complaint += grievance;
    if (negators.includes(token) || token.endsWith("n't")) negatedFor = NEGATION_SPAN;
    else if (negatedFor > 0) negatedFor--;
  }

  // Languages without spaces (and Korean, whose words take endings): lexicon entries as
  // substrings, longest first, each stretch of text read by one entry only.
  if (lexicon?.substrings) {
    let rest = lower;
    for (const entry of lexicon.substrings) {
      let at = rest.indexOf(entry);
      while (at >= 0) {
        // Negation is read in the text itself (a longer entry may already have read the words around).
        const before = lower.slice(Math.max(0, at - 2), at);
        const after = lower.slice(at + entry.length, at + entry.length + (language === "ja" ? JA_NEGATION_REACH : 3));
        const negated = negators.some((n) => before.includes(n)) || (language === "ja" && /ない|ませ|なかっ|^ず/.test(after));
        score(negated ? lexicon.words[entry]! * NEGATION_FACTOR : lexicon.words[entry]!);
        rest = rest.slice(0, at) + "\u0000".repeat(entry.length) + rest.slice(at + entry.length);
        at = rest.indexOf(entry, at + entry.length);
      }
    }
  }

  if (lexicon?.hedges) {
    for (const hedge of lexicon.hedges) for (let at = lower.indexOf(hedge); at >= 0; at = lower.indexOf(hedge, at + hedge.length)) hedges++;
  }

  // Words before a contrast weigh less, after it more; opposite polarities on the two sides of
  // it are a contrast the MIXED score reads.
  const weightBefore = after ? BEFORE_CONTRAST : 1;
  const pos = before.pos * weightBefore + (after?.pos ?? 0) * AFTER_CONTRAST;
  const neg = before.neg * weightBefore + (after?.neg ?? 0) * AFTER_CONTRAST;
  const turned = after !== undefined && ((before.pos > 0 && after.neg > 0) || (before.neg > 0 && after.pos > 0));
  const squash = (x: number) => Math.log1p(x);
  return {
    normalized: lower,
    tokens: [...tokens],
    dense: {
      "lex:pos": squash(pos),
      "lex:neg": squash(neg),
      "lex:both": squash(Math.min(pos, neg)),
      "emo:pos": squash(emojiPos),
      "emo:neg": squash(emojiNeg),
      "cx:neg": squash(complaint),
      "mid:hedge": squash(hedges),
      "mix:contrast": turned ? 1 : 0,
      "p:exclaim": Math.min(exclaims, 3) / 3,
      "p:question": questions > 0 ? 1 : 0,
    },
  };
}

/** The text as every feature reads it: NFKC, lower case, links and mentions as placeholders. */
export function normalized(text: string): string {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .replace(URL, " <url> ")
      .replace(MENTION, " <user> ")
      // Elongation ("goooood") reads as the word with a doubled letter.
      .replace(/(\p{L})\1{2,}/gu, "$1$1")
  );
}

const GRAM_MIN = 2;
const GRAM_MAX = 5;
/** The shortest word whose grams are read (UTF-16 code units). */
const GRAM_WORD_MIN = 5;

/**
 * The character n-grams (2 to 5) of each space-separated word of 5 or more characters, padded
 * with a space at each end ("g: goo"), with their counts, from a text as normalized() gives it:
 * spelling variants, inflections and typos of a word share most of them, which small tweet sets
 * need.
 */
export function charGrams(normalizedText: string): Map<string, number> {
  const grams = new Map<string, number>();
  for (const word of normalizedText.split(/\s+/u)) {
    // Short words (ist, das, est, the) are left out: in small tweet sets their grams learn the
    // sets' topics, and pushed plain product sentences negative ("Das Produkt ist hervorragend").
    if (word.length < GRAM_WORD_MIN) continue;
    // UTF-16 code units, not code points: faster, and the trainer reads texts the same way.
    const padded = ` ${word} `;
    for (let n = GRAM_MIN; n <= GRAM_MAX; n++) {
      for (let i = 0; i + n <= padded.length; i++) {
        const gram = `g:${padded.slice(i, i + n)}`;
        grams.set(gram, (grams.get(gram) ?? 0) + 1);
      }
    }
  }
  return grams;
}

/**
 * What `known` gives for each gram of a normalized text it knows (a model's weights, say), each
 * worth 1 + log(count), scaled to unit length: the gram model reads a long text and a short one
 * on the same scale.
 */
export function gramFeatures<T>(normalizedText: string, known: (gram: string) => T | undefined): [T, number][] {
  const features: [T, number][] = [];
  let squares = 0;
  for (const [gram, count] of charGrams(normalizedText)) {
    const found = known(gram);
    if (found === undefined) continue;
    const value = 1 + Math.log(count);
    features.push([found, value]);
    squares += value * value;
  }
  const norm = Math.sqrt(squares);
  for (const feature of features) feature[1] /= norm;
  return features;
}

/** An entry of a plain-object table, never an inherited property ("constructor", "__proto__"). */
export function entry<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
