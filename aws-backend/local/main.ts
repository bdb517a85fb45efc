/**
 * `npm run local-aws`: the local AWS endpoint on its own (npm run dev starts it with the Worker).
 * Environment: LOCAL_AWS_PORT (4566), LOCAL_AWS_HOST (127.0.0.1), AWS_REGION (us-east-1).
 */
import { startLocalAws } from "./server.ts";
import { LOCAL_DEFAULTS } from "./resources.ts";

const endpoint = await startLocalAws({
  host: process.env.LOCAL_AWS_HOST ?? LOCAL_DEFAULTS.host,
  port: Number(process.env.LOCAL_AWS_PORT ?? LOCAL_DEFAULTS.port),
  region: process.env.AWS_REGION ?? LOCAL_DEFAULTS.region,
});
console.log(`[local-aws] ready on ${endpoint.url} (S3, DynamoDB, SQS, Comprehend; region ${endpoint.region}, access key ${endpoint.credentials.accessKeyId})`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await endpoint.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
