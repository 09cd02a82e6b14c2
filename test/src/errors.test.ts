import { describe, expect, it } from "vitest";
import * as entry from "../../src/index.js";
import { apiError, Redactor } from "../../src/errors.js";

const apiErrorFromResponse = (
  status: number,
  headers: Headers,
  body: unknown,
) => apiError({ status, headers }, body, new Redactor("a-key-of-some-length"));

describe("the error hierarchy", () => {
  const errorClasses = Object.entries(entry).filter(
    (pair): pair is [string, typeof entry.NotteError] =>
      typeof pair[1] === "function" &&
      pair[0].startsWith("Notte") &&
      pair[0].endsWith("Error"),
  );

  it("exports classes that are each a NotteError named after itself", () => {
    expect(errorClasses.length).toBeGreaterThan(0);
    for (const [name, errorClass] of errorClasses) {
      expect(errorClass.prototype).toBeInstanceOf(Error);
      expect(errorClass.prototype.name).toBe(name);
      expect(
        errorClass === entry.NotteError ||
          errorClass.prototype instanceof entry.NotteError,
      ).toBe(true);
    }
  });

  it("nests timeouts under connection errors and 529 under server errors", () => {
    expect(new entry.NotteTimeoutError(5)).toBeInstanceOf(
      entry.NotteConnectionError,
    );
    const overloaded = apiErrorFromResponse(529, new Headers(), {
      message: "busy",
    });
    expect(overloaded).toBeInstanceOf(entry.NotteOverloadedError);
    expect(overloaded).toBeInstanceOf(entry.NotteServerError);
    expect(String(overloaded)).toBe("NotteOverloadedError: 529 busy");
  });

  it("keeps a long or multi-line server message to one short line", () => {
    const error = apiErrorFromResponse(500, new Headers(), {
      message: `line one\n${"x".repeat(1000)}`,
    });
    expect(error.message).not.toContain("\n");
    expect(error.message.length).toBeLessThanOrEqual(300);
    expect(error.message.startsWith("500 line one x")).toBe(true);
  });

  it("falls back to the status for other 4xx and 5xx", () => {
    expect(apiErrorFromResponse(418, new Headers(), "")).toMatchObject({
      name: "NotteApiError",
      status: 418,
    });
    expect(apiErrorFromResponse(599, new Headers(), "")).toBeInstanceOf(
      entry.NotteServerError,
    );
  });
});
