/**
 * Analysis results in KV under `result:<sha256>`, with a TTL, and the hottest ones in the
 * isolate's memory in front of it. Only the result is stored (label, scores, language); the key
 * is a hash, so neither holds the text.
 */
import { MemoryCache } from "../../shared/memory-cache.ts";
import { SentimentResult } from "../../shared/schemas.ts";

const PREFIX = "result:";

/** The part of KV the cache uses: the Worker passes its binding, `npm run dlq` a wrangler-backed store. */
export interface ResultStore {
  get(key: string, type: "json"): Promise<unknown>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<unknown>;
}

/** Memory entries live at most this long (KV keeps them for the full TTL). */
const MEMORY_TTL_MS = 5 * 60 * 1000;

export class ResultCache {
  constructor(
    private readonly kv: ResultStore,
    private readonly ttlSeconds: number,
    /** Shared by the requests of an isolate; absent: KV only. */
    private readonly memory?: MemoryCache<SentimentResult>,
  ) {}

  async get(key: string): Promise<SentimentResult | null> {
    const remembered = this.memory?.get(key);
    if (remembered) return remembered;
    const stored = await this.kv.get(PREFIX + key, "json");
    if (stored === null) return null;
    // An entry in an older shape is a miss, not an error.
    const parsed = SentimentResult.safeParse(stored);
    if (!parsed.success) return null;
    this.memory?.set(key, parsed.data, Math.min(MEMORY_TTL_MS, this.ttlSeconds * 1000));
    return parsed.data;
  }

  async put(key: string, result: SentimentResult): Promise<void> {
    this.memory?.set(key, result, Math.min(MEMORY_TTL_MS, this.ttlSeconds * 1000));
    await this.kv.put(PREFIX + key, JSON.stringify(result), { expirationTtl: this.ttlSeconds });
  }
}
