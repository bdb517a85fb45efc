/** What globalSetup provides to the worker tests (read with `inject`). */
declare module "vitest" {
  export interface ProvidedContext {
    awsEndpoint: string;
    /** Generated cases per route in test/worker/fuzz.test.ts (FUZZ_RUNS), and a seed to replay (FUZZ_SEED). */
    fuzzRuns: number;
    fuzzSeed: number | undefined;
  }
}
export {};
