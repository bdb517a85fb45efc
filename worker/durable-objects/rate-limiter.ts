/**
 * One Durable Object per API key. In this first version it answers the health probe; the
 * per-key sliding-window limit and usage counters live here next (issue 3).
 */
import { DurableObject } from "cloudflare:workers";

export class RateLimiter extends DurableObject {
  /** Proves the object can be reached and its SQLite storage answers. */
  async ping(): Promise<{ ok: true; storage: number }> {
    const row = this.ctx.storage.sql.exec<{ one: number }>("SELECT 1 AS one").one();
    return { ok: true, storage: row.one };
  }
}
