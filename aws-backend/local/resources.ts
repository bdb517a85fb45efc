/**
 * The AWS resources the local endpoint creates at start: the same names the Worker's local
 * configuration (wrangler.toml [vars]) points at.
 */
export const LOCAL_RESOURCES = {
  bucket: "aurastream-jobs",
  jobsTable: "aurastream-jobs",
  deadLetterQueue: "aurastream-dlq",
} as const;

export const LOCAL_DEFAULTS = {
  host: "127.0.0.1",
  port: 4566,
  region: "us-east-1",
  accessKeyId: "test",
  secretAccessKey: "test",
} as const;
