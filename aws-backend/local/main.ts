/**
 * `npm run local-aws`: the local AWS endpoint and batch runner on their own (npm run dev starts them with the Worker).
 * Environment: LOCAL_AWS_PORT (4566), LOCAL_AWS_HOST (127.0.0.1), AWS_REGION (us-east-1),
 * LOCAL_AWS_ACCESS_KEY_ID / LOCAL_AWS_SECRET_ACCESS_KEY (test / test); state kept in
 * LOCAL_AWS_DATA_DIR (.aurastream-local/), `-- --fresh` to start empty.
 */
import { startLocalStack } from "./stack.ts";
import { fileURLToPath } from "node:url";
import { localDataDir, localSettingsFromEnv } from "./resources.ts";

const dataDir = localDataDir(fileURLToPath(new URL("../..", import.meta.url)));
const { endpoint } = await startLocalStack({ ...localSettingsFromEnv(), dataDir, log: console.log });
console.log(
  `[local-aws] ready on ${endpoint.url} (S3, DynamoDB, SQS, Comprehend, the batch state machine; region ${endpoint.region}, access key ${endpoint.credentials.accessKeyId}); state ${dataDir ?? "in memory"}`,
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await endpoint.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
