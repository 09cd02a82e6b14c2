/** What `withResponse()` gives: the parsed result and the raw HTTP answer it came from. */
export interface WithResponse<T> {
  /** The parsed, checked result. */
  data: T;
  /** The HTTP answer (its body already read), for headers such as `x-ratelimit-remaining`. */
  response: Response;
}

function settleNothing(resolve: (value: never) => void): void {
  resolve(undefined as never);
}

/**
 * A promise of a call's result that can also give the HTTP answer:
 * `await call` gives the data, `await call.withResponse()` gives `{ data, response }`.
 *
 * The data promise is derived only when someone awaits it, so a caller who uses
 * only `withResponse()` never sees a second, unhandled rejection. (`catch`
 * needs no override: the built-in one calls `then`.)
 */
export class NottePromise<T> extends Promise<T> {
  readonly #withResponse: Promise<WithResponse<T>>;
  #data: Promise<T> | undefined;

  /** @param withResponse - the call, resolving to its data and answer */
  constructor(withResponse: Promise<WithResponse<T>>) {
    // The base promise is never used: `then`, `catch` and `finally` go to the data promise.
    super(settleNothing);
    this.#withResponse = withResponse;
  }

  /** The result together with the HTTP answer it came from. */
  withResponse(): Promise<WithResponse<T>> {
    return this.#withResponse;
  }

  override then<Fulfilled = T, Rejected = never>(
    onFulfilled?: ((value: T) => Fulfilled | PromiseLike<Fulfilled>) | null,
    onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null,
  ): Promise<Fulfilled | Rejected> {
    return this.#dataPromise().then(onFulfilled, onRejected);
  }

  override finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#dataPromise().finally(onFinally);
  }

  #dataPromise(): Promise<T> {
    return (this.#data ??= this.#withResponse.then(dataOf));
  }
}

function dataOf<T>(result: WithResponse<T>): T {
  return result.data;
}
