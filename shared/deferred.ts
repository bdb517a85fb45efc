/** A promise with its resolve and reject (Promise.withResolvers, which Node 20 lacks). */
export function withResolvers<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (reason: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Whether `shared` settles (either way) within `ms`, waited for with a timer of the caller's own.
 * For work one request started and others wait on: workerd cancels a request that waits only on
 * another request's I/O as hung, and a promise whose request was cancelled never settles, so a
 * waiter must keep an event of its own and give up on the shared work in bounded time.
 */
export async function settlesWithin(shared: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([shared.then(() => true, () => true), late]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
