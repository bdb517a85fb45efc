/** Where the state machine definition lives (shared by the CDK construct and the local runner, free of CDK imports). */
import { fileURLToPath } from "node:url";

export const ASL_PATH = fileURLToPath(new URL("../state-machine/batch-job.asl.json", import.meta.url));
