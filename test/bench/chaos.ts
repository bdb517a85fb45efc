/**
 * `npm run chaos`: CHAOS_JOBS jobs (1,000) through the Worker while the local AWS process fails
 * CHAOS_FAULT_RATE (30%) of the S3, DynamoDB, SQS and Comprehend calls and is killed and started
 * again halfway; then the figures, against a fault-free run of the same jobs (test/chaos.ts).
 */
import { runChaos } from "../chaos.ts";

const jobs = Number(process.env.CHAOS_JOBS ?? 1_000);
const faultRate = Number(process.env.CHAOS_FAULT_RATE ?? 0.3);
const figures = await runChaos({ jobs, faultRate, restart: true, concurrency: 8, settleMs: Number(process.env.CHAOS_SETTLE_MS ?? 600_000), log: console.log });
console.log(`
chaos: ${figures.jobs} jobs, ${Math.round(faultRate * 100)}% of AWS calls faulted (${figures.faultsInjected} faults), ${figures.restarts} restart(s), ${figures.wallSeconds} s
  accepted   ${figures.accepted} (refused after the client's retries: ${figures.refused})
  COMPLETED  ${figures.completed}
  FAILED     ${Object.entries(figures.failed).map(([code, n]) => `${code} ${n}`).join(", ") || 0} (for transient faults: ${figures.failedTransient})
  lost       ${figures.lost}
  duplicated ${figures.duplicated}
  differing  ${figures.differing} of ${figures.rowsCompared} rows compared with the fault-free run`);
if (figures.failureNotes.length) console.log(`\nwhat failed:\n${figures.failureNotes.map((n) => `  ${n.slice(0, 400)}`).join("\n")}`);
process.exit(figures.lost + figures.duplicated + figures.differing + figures.failedTransient === 0 ? 0 : 1);
