/**
 * Where each AWS service is reached, in one place: with an override (AWS_ENDPOINT_URL: the local
 * endpoint, one port for every service) everything goes there; without one, AWS's public
 * regional endpoints.
 */
export type AwsService = "comprehend" | "sqs" | "dynamodb" | "states";

export function awsEndpoint(service: AwsService, region: string, override?: string): string {
  return override ?? `https://${service}.${region}.amazonaws.com`;
}

/** An S3 object's URL: path-style under an override, the bucket's virtual host on AWS. */
export function s3ObjectUrl(bucket: string, key: string, region: string, override?: string): string {
  const path = key.split("/").map(encodeURIComponent).join("/");
  return override ? `${override}/${bucket}/${path}` : `https://${bucket}.s3.${region}.amazonaws.com/${path}`;
}
