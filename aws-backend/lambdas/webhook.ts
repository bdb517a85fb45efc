/**
 * webhook: tells the job's callback_url that it finished, signed (shared/webhook-signature.ts).
 * A non-2xx answer or a timeout throws, so the state machine retries with backoff. The URL is
 * checked again here, and every address its host resolves to is checked by the connection
 * itself (webhook-http.ts): a name pointing at a private address is refused, once and for all.
 */
import { callbackUrlProblem } from "../../shared/callback-url.ts";
import { SIGNATURE_HEADER, signWebhook } from "./webhook-signature.ts";
import { lambdaHandler, type BatchDeps } from "./deps.ts";
import { getJob, updateJob } from "./storage.ts";
import { postWebhook, WebhookRefusedError } from "./webhook-http.ts";

const TIMEOUT_MS = 10_000;

export async function deliverWebhook(deps: BatchDeps, input: { job_id: string }): Promise<{ delivered: boolean; status?: number }> {
  const job = await getJob(deps, input.job_id);
  const url = job?.options.callback_url;
  if (!job || !url) return { delivered: false };
  const problem = callbackUrlProblem(url, { allowLoopback: deps.allowLoopbackCallbacks });
  if (problem) throw new WebhookRefusedError(`callback_url ${problem}`);

  const body = JSON.stringify({
    event: `job.${job.status.toLowerCase()}`,
    job_id: job.job_id,
    status: job.status,
    ...(job.summary ? { result: job.summary } : {}),
    ...(job.error ? { error: job.error } : {}),
    completed_at: job.completed_at,
  });
  const signature = signWebhook(await deps.webhookSecret(), body, Math.floor(deps.now().getTime() / 1000));
  // Redirects are not followed (a 3xx is a failed delivery): a redirect could point anywhere.
  const status = await postWebhook({
    url,
    headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature, "user-agent": "AuraStream-Webhook/1" },
    body,
    timeoutMs: TIMEOUT_MS,
    allowLoopback: deps.allowLoopbackCallbacks,
    resolveHost: deps.resolveHost,
  });
  if (status < 200 || status >= 300) throw new Error(`callback answered ${status}`);
  await updateJob(deps, input.job_id, { webhook_delivered_at: deps.now().toISOString() });
  return { delivered: true, status };
}

export const handler = lambdaHandler(deliverWebhook);
