/**
 * The chaos run, short (test/chaos.ts; `npm run chaos` is the long one): jobs of every format
 * through the bundled Worker while `npm run local-aws` fails a share of every AWS call and is
 * killed and restarted mid-run. Nothing accepted is lost or duplicated, no job fails for a
 * transient fault, and every row matches a fault-free run of the same jobs.
 */
import { expect, it } from "vitest";
import { runChaos } from "../chaos.ts";

it("loses, duplicates and changes nothing, and fails nothing, under 20% faults and a restart", async () => {
  const figures = await runChaos({ jobs: 12, faultRate: 0.2, restart: true, concurrency: 4, settleMs: 90_000 });
  expect({ lost: figures.lost, duplicated: figures.duplicated, differing: figures.differing, failedTransient: figures.failedTransient, refused: figures.refused }, figures.failureNotes.join("\n").slice(0, 2_000)).toEqual({
    lost: 0,
    duplicated: 0,
    differing: 0,
    failedTransient: 0,
    refused: 0,
  });
  expect(figures.accepted).toBe(12);
  expect(figures.completed).toBe(12);
  expect(figures.faultsInjected).toBeGreaterThan(0);
  expect(figures.restarts).toBe(1);
  expect(figures.rowsCompared).toBeGreaterThan(100);
}, 400_000);
