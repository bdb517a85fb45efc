/** Where the state machine definitions live (shared by the CDK constructs and the local runner, free of CDK imports). */
import { fileURLToPath } from "node:url";

export const ASL_PATH = fileURLToPath(new URL("../state-machine/batch-job.asl.json", import.meta.url));

/** The upload-deadline state machine: ends a POST /v1/jobs job whose file never came. */
export const UPLOAD_DEADLINE_ASL_PATH = fileURLToPath(new URL("../state-machine/upload-deadline.asl.json", import.meta.url));

/** Its name (fixed, so the Worker's configuration can name its ARN before deploying). */
export const UPLOAD_DEADLINE_STATE_MACHINE_NAME = "aurastream-upload-deadline";

/** The batch job's state machine (named: its Distributed Maps start children of itself). */
export const BATCH_STATE_MACHINE_NAME = "aurastream-batch-job";
