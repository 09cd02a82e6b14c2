import { afterEach, describe, expect, it, vi } from "vitest";
import {
  NotteClient,
  NotteConfigError,
  type NotteClientOptions,
} from "../../src/index.js";

const KEY = "sk_test_KEY_abc123";

afterEach(() => {
  vi.unstubAllEnvs();
});

function configError(
  options: NotteClientOptions | undefined,
): NotteConfigError {
  try {
    new NotteClient(options);
  } catch (error) {
    expect(error).toBeInstanceOf(NotteConfigError);
    return error as NotteConfigError;
  }
  throw new Error("expected NotteConfigError");
}

describe("new NotteClient()", () => {
  it("reads NOTTE_API_KEY and NOTTE_API_URL", () => {
    vi.stubEnv("NOTTE_API_KEY", KEY);
    vi.stubEnv("NOTTE_API_URL", "https://staging.notte.example/v1/");
    expect(new NotteClient().baseUrl).toBe("https://staging.notte.example/v1");
  });

  it("defaults to the production API, an empty NOTTE_API_URL counting as unset", () => {
    vi.stubEnv("NOTTE_API_URL", undefined);
    expect(new NotteClient({ apiKey: KEY }).baseUrl).toBe(
      "https://api.notte.cc",
    );
    vi.stubEnv("NOTTE_API_URL", "");
    expect(new NotteClient({ apiKey: KEY }).baseUrl).toBe(
      "https://api.notte.cc",
    );
  });

  it("prefers options over the environment", () => {
    vi.stubEnv("NOTTE_API_URL", "https://env.example");
    expect(
      new NotteClient({ apiKey: KEY, baseUrl: "http://127.0.0.1:9" }).baseUrl,
    ).toBe("http://127.0.0.1:9");
  });

  it("refuses a missing key, naming where to put one", () => {
    vi.stubEnv("NOTTE_API_KEY", undefined);
    expect(configError(undefined).message).toMatch(/NOTTE_API_KEY/);
    vi.stubEnv("NOTTE_API_KEY", "");
    expect(configError({}).message).toMatch(/No API key/);
  });

  it.each([
    ["a trailing newline", `${KEY}\n`],
    ["a space", "sk test"],
    ["a control character", "sk\u0000x"],
    ["a non-ASCII character", "sk_tëst"],
  ])("refuses a key with %s, without echoing it", (_, apiKey) => {
    const error = configError({ apiKey });
    expect(error.message).not.toContain(apiKey.trim());
    expect(error.message).toMatch(/printable ASCII without spaces/);
  });

  it.each([
    ["not a URL", "api.notte.cc", /absolute http\(s\) URL/],
    ["another protocol", "ftp://api.notte.cc", /absolute http\(s\) URL/],
    ["credentials", "https://user:pw@api.notte.cc", /credentials/],
    ["a query", "https://api.notte.cc/?x=1", /query/],
    ["plain http to a remote host", "http://api.notte.cc", /unencrypted/],
    ["plain http to a private address", "http://10.0.0.5:8080", /unencrypted/],
  ])("refuses a base URL with %s", (_, baseUrl, message) => {
    const error = configError({ apiKey: KEY, baseUrl });
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("pw");
  });

  it.each([
    "http://127.0.0.1:8080",
    "http://localhost:3000/",
    "http://[::1]:80",
    "http://127.8.9.10",
  ])("allows plain http to loopback %s", (baseUrl) => {
    expect(() => new NotteClient({ apiKey: KEY, baseUrl })).not.toThrow();
  });

  it("allows plain http elsewhere only when asked", () => {
    expect(
      new NotteClient({
        apiKey: KEY,
        baseUrl: "http://notte.internal",
        allowInsecureHttp: true,
      }).baseUrl,
    ).toBe("http://notte.internal");
  });

  it.each([
    ["timeoutMs 0", { timeoutMs: 0 }, /timeoutMs/],
    ["timeoutMs past setTimeout's range", { timeoutMs: 2 ** 31 }, /timeoutMs/],
    ["maxRetries -1", { maxRetries: -1 }, /maxRetries/],
    [
      "maxRetries Infinity",
      { maxRetries: Number.POSITIVE_INFINITY },
      /maxRetries/,
    ],
    ["a header with a newline", { headers: { "x-a": "b\nc" } }, /header "x-a"/],
    [
      "an Authorization header (the key has its own option)",
      { headers: { Authorization: "Bearer other" } },
      /"Authorization" is set by the client \(use apiKey\)/,
    ],
    [
      "headers given as a Headers object (only plain objects are read)",
      { headers: new Headers({ "x-a": "1" }) },
      /plain object/,
    ],
    [
      "a fixed Idempotency-Key for every request",
      { headers: { "Idempotency-Key": "same" } },
      /idempotencyKey/,
    ],
    [
      "a request origin with a newline",
      { requestOrigin: "a\nb" },
      /x-notte-request-origin/,
    ],
    ["an unknown log level", { logLevel: "verbose" }, /logLevel/],
    [
      "a logger without debug",
      { logger: { error() {}, warn() {}, info() {} } },
      /logger/,
    ],
  ])("refuses %s", (_, options, message) => {
    const error = configError({
      apiKey: KEY,
      ...(options as NotteClientOptions),
    });
    expect(error.message).toMatch(message);
  });

  it("refuses options that are not an object", () => {
    expect(configError("key" as unknown as NotteClientOptions).message).toMatch(
      /must be an object/,
    );
  });

  it("keeps the key out of util.inspect and JSON of the client", async () => {
    const { inspect } = await import("node:util");
    const notte = new NotteClient({
      apiKey: KEY,
      baseUrl: "http://127.0.0.1:1",
    });
    expect(inspect(notte, { depth: 20, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(notte)).not.toContain(KEY);
  });
});
