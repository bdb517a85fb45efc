/**
 * webhook: tells the job's callback_url that it finished, signed (shared/webhook-signature.ts).
 * A non-2xx answer or a timeout throws, so the state machine retries with backoff. The URL is
 * checked again here, its host resolved, so a name pointing at a private address is refused.
 */
import { lookup } from "node:dns/promises";
import { callbackUrlProblem, isLoopbackAddress, isPrivateAddress } from "../../shared/callback-url.ts";
import { SIGNATURE_HEADER, signWebhook } from "./webhook-signature.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { getJob, updateJob } from "./storage.ts";

const TIMEOUT_MS = 10_000;

export class WebhookRefusedError extends Error {
  override readonly name = "WebhookRefusedError";
}

export async function deliverWebhook(deps: BatchDeps, input: { job_id: string }): Promise<{ delivered: boolean; status?: number }> {
  const job = await getJob(deps, input.job_id);
  const url = job?.options.callback_url;
  if (!job || !url) return { delivered: false };
  const problem = callbackUrlProblem(url, { allowLoopback: deps.allowLoopbackCallbacks });
  if (problem) throw new WebhookRefusedError(`callback_url ${problem}`);
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  const addresses = await lookup(host, { all: true }).catch(() => []);
  if (addresses.some((a) => isPrivateAddress(a.address) && !(deps.allowLoopbackCallbacks && isLoopbackAddress(a.address)))) {
    throw new WebhookRefusedError("callback_url resolves to a private address");
  }

  const body = JSON.stringify({
    event: `job.${job.status.toLowerCase()}`,
    job_id: job.job_id,
    status: job.status,
    ...(job.summary ? { result: job.summary } : {}),
    ...(job.error ? { error: job.error } : {}),
    completed_at: job.completed_at,
  });
  const signature = signWebhook(await deps.webhookSecret(), body, Math.floor(deps.now().getTime() / 1000));
  const res = await deps.fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature, "user-agent": "AuraStream-Webhook/1" },
    body,
    redirect: "manual",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await res.body?.cancel();
  if (res.status < 200 || res.status >= 300) throw new Error(`callback answered ${res.status}`);
  await updateJob(deps, input.job_id, { webhook_delivered_at: deps.now().toISOString() });
  return { delivered: true, status: res.status };
}

export const handler = lambdaHandler(deliverWebhook);
