/**
 * Analysis results in KV under `result:<sha256>`, with a TTL. Only the result is stored (label,
 * scores, language); the key is a hash, so neither holds the text.
 */
import { SentimentResult } from "../../shared/schemas.ts";

const PREFIX = "result:";

/** The part of KV the cache uses: the Worker passes its binding, `npm run dlq` a wrangler-backed store. */
export interface ResultStore {
  get(key: string, type: "json"): Promise<unknown>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<unknown>;
}

export class ResultCache {
  constructor(
    private readonly kv: ResultStore,
    private readonly ttlSeconds: number,
  ) {}

  async get(key: string): Promise<SentimentResult | null> {
    const stored = await this.kv.get(PREFIX + key, "json");
    if (stored === null) return null;
    // An entry in an older shape is a miss, not an error.
    const parsed = SentimentResult.safeParse(stored);
    return parsed.success ? parsed.data : null;
  }

  async put(key: string, result: SentimentResult): Promise<void> {
    await this.kv.put(PREFIX + key, JSON.stringify(result), { expirationTtl: this.ttlSeconds });
  }
}
