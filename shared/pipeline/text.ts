/**
 * Step one of the text pipeline, the same for both paths: PII handling, then normalisation.
 * What comes out is what Comprehend sees, what the cache key is made of, and what a dead
 * letter may keep (always the redacted form).
 */
import { countPiiTypes, detectPii, redactPii, type PiiType } from "../engine/pii.ts";
import type { PiiMode } from "../schemas.ts";
import { normaliseText } from "./normalise.ts";

export interface PiiSummary {
  detected: boolean;
  /** Types found and how many of each; never the values. */
  types: Partial<Record<PiiType, number>>;
}

export interface PreparedText {
  /** The text to analyse: normalised, and redacted under `redact`. Empty when nothing is left. */
  analysed: string;
  /** The text redacted and normalised whatever the mode: the only form stored outside the request. */
  redacted: string;
  pii: PiiSummary;
}

export function prepareText(raw: string, mode: PiiMode): PreparedText {
  const entities = mode === "off" ? [] : detectPii(raw);
  const redacted = mode === "off" ? redactPii(raw).text : redactPii(raw, entities).text;
  return {
    analysed: normaliseText(mode === "redact" ? redacted : raw),
    redacted: normaliseText(redacted),
    pii: { detected: entities.length > 0, types: countPiiTypes(entities) },
  };
}
