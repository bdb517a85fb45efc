/**
 * The form of a text the cache key is computed from: Unicode NFC, whitespace runs collapsed,
 * trimmed. Texts that differ only in such ways get the same analysis, so they share an entry.
 */
export function normaliseText(text: string): string {
  return text.normalize("NFC").replace(/\s+/gu, " ").trim();
}
