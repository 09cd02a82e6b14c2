/** The one listener a caller's signal has, and the calls it fans out to. */
interface Watchers {
  readonly handlers: Set<() => void>;
  readonly listener: () => void;
}

// Keyed weakly: a signal nobody holds any more takes its entry with it.
const watchersBySignal = new WeakMap<AbortSignal, Watchers>();

/**
 * Runs `handler` when `signal` fires, and returns the function that stops
 * watching. However many calls share one signal, it carries one `abort`
 * listener (so Node never warns of a possible leak), removed when the last
 * call stops watching.
 */
export function watchAbort(
  signal: AbortSignal,
  handler: () => void,
): () => void {
  let watchers = watchersBySignal.get(signal);
  if (watchers === undefined) {
    const handlers = new Set<() => void>();
    const listener = (): void => {
      watchersBySignal.delete(signal);
      for (const each of handlers) each();
    };
    watchers = { handlers, listener };
    watchersBySignal.set(signal, watchers);
    signal.addEventListener("abort", listener, { once: true });
  }
  const { handlers, listener } = watchers;
  handlers.add(handler);
  return () => {
    handlers.delete(handler);
    if (handlers.size === 0 && watchersBySignal.get(signal) === watchers) {
      watchersBySignal.delete(signal);
      signal.removeEventListener("abort", listener);
    }
  };
}
