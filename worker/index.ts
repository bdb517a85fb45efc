/** Worker entry: the Hono app and the Durable Object classes wrangler.toml binds. */
import { createApp } from "./app.ts";

export { RateLimiter } from "./rate-limiter/durable-object.ts";

export default createApp();
