/** What globalSetup provides to the worker tests (read with `inject`). */
declare module "vitest" {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}
export {};
