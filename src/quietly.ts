/**
 * Calls a collaborator's function (a logger, a progress callback) so that
 * nothing it does changes the caller: a throw is swallowed, and so is the
 * rejection of a promise (or thenable) it returns, which would otherwise be an
 * unhandled rejection.
 */
export function callQuietly(call: () => unknown): void {
  try {
    const returned = call() as { then?: unknown } | null | undefined;
    if (typeof returned?.then === "function")
      Promise.resolve(returned).catch(ignore);
  } catch {}
}

/** Does nothing: the handler of a rejection that changes nothing (a late or cancelled body, a collaborator's). */
export function ignore(): void {}
