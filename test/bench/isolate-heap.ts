/**
 * The Worker isolate's JavaScript heap, read over workerd's V8 inspector (Miniflare's inspector
 * proxy): a full garbage collection first, then the bytes still in use. Resident memory alone
 * cannot tell a leak from V8 keeping memory it has not needed to give back, or from Miniflare's
 * KV and cache storage living in the same process; the heap after a collection can.
 * workerd does not answer HeapProfiler.collectGarbage, so the collection is a heap snapshot
 * (V8 collects before it walks the heap); its chunks are dropped unread. It pauses the isolate
 * for a moment: call it once a minute, not per request.
 */
import WebSocket from "ws";

export interface IsolateHeap {
  /** MiB in use after a full collection. */
  usedMiB: () => Promise<number>;
  close: () => void;
}

export async function connectIsolateHeap(inspectorPort: number): Promise<IsolateHeap> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error("no inspector target: is the worker started with unsafeInspectorProxy?");
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
    // Snapshot chunks are notifications (no id): ignored.
    if (message.id !== undefined) pending.get(message.id)?.(message.result), pending.delete(message.id);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call("HeapProfiler.enable");
  return {
    usedMiB: async () => {
      await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      const { usedSize } = (await call("Runtime.getHeapUsage")) as { usedSize: number };
      return Math.round((usedSize / 1048576) * 10) / 10;
    },
    close: () => socket.close(),
  };
}
