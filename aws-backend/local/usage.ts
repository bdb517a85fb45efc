/**
 * What the local endpoint has served, readable at run time (GET /_local/usage): requests per
 * operation, Comprehend units billed, and the last texts Comprehend received, so tests can prove
 * a cache hit made no call and that redacted PII never left the Worker.
 */

const REMEMBERED_TEXTS = 2_000;

export interface ReceivedText {
  text: string;
  language?: string;
}

export class Usage {
  private requests = new Map<string, number>();
  private units = 0;
  private documents = 0;
  private characters = 0;
  private received: ReceivedText[] = [];

  /** `operation` is `service:Operation`, e.g. `comprehend:DetectSentiment`. */
  recordRequest(operation: string): void {
    this.requests.set(operation, (this.requests.get(operation) ?? 0) + 1);
  }

  recordDocuments(unitsPerDocument: number[], characters: number): void {
    this.documents += unitsPerDocument.length;
    this.units += unitsPerDocument.reduce((a, b) => a + b, 0);
    this.characters += characters;
  }

  remember(texts: string[], language?: string): void {
    for (const text of texts) this.received.push({ text, language });
    if (this.received.length > REMEMBERED_TEXTS) this.received.splice(0, this.received.length - REMEMBERED_TEXTS);
  }

  snapshot() {
    return {
      requests: Object.fromEntries(this.requests),
      comprehend: { units: this.units, documents: this.documents, characters: this.characters },
    };
  }

  receivedTexts(): ReceivedText[] {
    return [...this.received];
  }

  reset(): void {
    this.requests.clear();
    this.units = this.documents = this.characters = 0;
    this.received = [];
  }
}

