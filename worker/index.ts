/** Worker entry: the Hono app and the Durable Object classes wrangler.toml binds. */
import { createApp } from "./app.ts";

export { RateLimiter } from "./durable-objects/rate-limiter.ts";

export default createApp();
