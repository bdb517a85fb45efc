/**
 * The ways one item can fail, the same in both paths: a real-time batch item, a real-time
 * text (sent as the request's error) and a row of a batch job carry the same code, field and
 * message for the same cause. The codes are the API's own error codes.
 */
export const ITEM_ERROR_CODES = ["VALIDATION_ERROR", "SERVICE_UNAVAILABLE", "INTERNAL_ERROR"] as const;
export type ItemErrorCode = (typeof ITEM_ERROR_CODES)[number];

export interface ItemError {
  code: ItemErrorCode;
  message: string;
  /** The input field at fault, when there is one. */
  field?: string;
}

export const itemErrors = {
  emptyText: (field = "text"): ItemError => ({ code: "VALIDATION_ERROR", message: `${field}: must not be empty or only whitespace`, field }),

  /** A row of a job's file that is not an item (a stray quote, a wrong field count, a line that is not JSON). */
  invalidRow: (reason: string): ItemError => ({ code: "VALIDATION_ERROR", message: `row: ${reason}`, field: "row" }),

  /** The text's analysis did not come back (its batch failed past its retries). */
  notAnalysed: (): ItemError => ({ code: "SERVICE_UNAVAILABLE", message: "The text could not be analysed: Comprehend did not answer for it." }),

  /** Comprehend refused this one document (a Batch* ErrorList entry). */
  refusedByComprehend: (errorCode: string): ItemError => ({
    code: "INTERNAL_ERROR",
    message: `Comprehend could not analyse this text (${errorCode}).`,
  }),
};
