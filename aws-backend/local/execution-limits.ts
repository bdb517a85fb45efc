/**
 * Step Functions' quotas for one Standard execution, which the local runner does not enforce by
 * itself: 256 KiB (262,144 bytes of UTF-8) per state input or output, and 25,000 events in the
 * execution's history. Both are terminal on AWS: States.DataLimitExceeded is not caught by
 * States.ALL, and a history past its quota fails the execution; the job is then ended by the
 * EventBridge rule on the execution's status change, as on AWS.
 *
 * The history is counted from the runner's event log as AWS records events: 1 each for the
 * execution's start and end; a state's entry and exit; a Task's scheduled, started and
 * completed (3 more per attempt); a Map's started and succeeded; each Map iteration's started
 * and ended. (The runner shows no Task-level events, so those are implied by each entry and
 * retry.) A Distributed Map (distributed-map.ts) runs as one Task in its parent's history; each
 * child is an execution of its own, with its own quotas (Express children keep no history).
 */
export const STEP_FUNCTIONS_QUOTAS = { payloadBytes: 262_144, historyEvents: 25_000 } as const;

export interface ExecutionLimitOptions {
  payloadBytes?: number;
  historyEvents?: number;
}

export interface LimitBreach {
  Error: "States.DataLimitExceeded" | "States.Runtime";
  Cause: string;
}

interface RunnerEvent {
  type: string;
  state?: { name: string; type: string; output?: unknown };
}

export class ExecutionLimits {
  readonly payloadBytes: number;
  readonly historyEvents: number;
  events = 0;
  /** The largest state input or output seen (bytes), for tests of how far inside the quota a job stays. */
  largestPayload = 0;
  breach?: LimitBreach;

  constructor(options: ExecutionLimitOptions = {}, private readonly onBreach: (breach: LimitBreach) => void) {
    this.payloadBytes = options.payloadBytes ?? STEP_FUNCTIONS_QUOTAS.payloadBytes;
    this.historyEvents = options.historyEvents ?? STEP_FUNCTIONS_QUOTAS.historyEvents;
  }

  /** A state's input (after Parameters) or a connector's output, as it crosses into or out of a state. */
  checkPayload(stateName: string, what: "input" | "output", value: unknown): boolean {
    const size = Buffer.byteLength(JSON.stringify(value ?? null));
    this.largestPayload = Math.max(this.largestPayload, size);
    if (size <= this.payloadBytes) return true;
    const which = what === "input" ? "was given an input" : "returned a result";
    this.trip({ Error: "States.DataLimitExceeded", Cause: `The state/task '${stateName}' ${which} with a size exceeding the maximum number of bytes service limit.` });
    return false;
  }

  /** Counts one event of the runner's log; false once the history is past its quota. */
  count(event: RunnerEvent): boolean {
    this.events += HISTORY_EVENTS[event.type]?.(event.state?.type) ?? 0;
    if (event.type === "StateExited" && event.state) this.checkPayload(event.state.name, "output", event.state.output);
    if (this.events > this.historyEvents && !this.breach) {
      this.trip({ Error: "States.Runtime", Cause: `The execution history reached its quota of ${this.historyEvents} events.` });
    }
    return !this.breach;
  }

  private trip(breach: LimitBreach): void {
    if (this.breach) return;
    this.breach = breach;
    this.onBreach(breach);
  }
}

/** AWS history events per runner event (by state type where it differs). */
const HISTORY_EVENTS: Record<string, (stateType?: string) => number> = {
  ExecutionStarted: () => 1,
  ExecutionSucceeded: () => 1,
  ExecutionFailed: () => 1,
  StateEntered: (type) => 1 + (type === "Task" ? 3 : type === "Map" ? 1 : 0),
  StateExited: (type) => 1 + (type === "Map" ? 1 : 0),
  StateRetried: () => 3,
  MapIterationStarted: () => 1,
  MapIterationSucceeded: () => 1,
  MapIterationFailed: () => 1,
};
