/**
 * What openapi-fetch builds, as its `Request` class, for a call that no
 * middleware will see: only the URL and the init, so that `fetch` builds the
 * one real `Request` of the attempt (openapi-fetch would build one, and
 * `fetch` a copy of it carrying the attempt's signal).
 */
export class PlainRequest {
  /**
   * @param url - the request's URL, as openapi-fetch serialised it
   * @param init - method, headers and body, as openapi-fetch merged them
   */
  constructor(
    readonly url: string,
    readonly init: RequestInit,
  ) {}

  /** The method, read by openapi-fetch and the debug log. */
  get method(): string | undefined {
    return this.init.method;
  }
}
