/**
 * Shared helpers of the behaviour tests: a plain `node:http` server for answers the test
 * server cannot give (endless bodies, echoes), a rejection catcher and an unhandled-rejection
 * recorder, and the shared set-up of a file's test server.
 */
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import { afterAll, afterEach, beforeAll } from "vitest";
import { NotteClient, type NotteClientOptions } from "../../src/index.js";
import {
  startNotteTestServer,
  type NotteTestServer,
} from "../../src/testing/index.js";

/** A plain HTTP server on 127.0.0.1 that a test writes the answers of. */
export interface PlainServer {
  /** Base URL, without a trailing slash. */
  readonly url: string;
  /** Requests received so far (method and raw path, headers lower-case). */
  readonly requests: Array<{
    method: string;
    path: string;
    headers: IncomingMessage["headers"];
    time: number;
  }>;
  /** Sockets that were closed (by the client or by the server) so far. */
  readonly closedSockets: () => number;
  close(): Promise<void>;
}

/** Starts a plain HTTP server whose every request is answered by `handler`. */
export async function startPlainServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<PlainServer> {
  const requests: PlainServer["requests"] = [];
  const sockets = new Set<Socket>();
  let closed = 0;
  const server = createServer((req, res) => {
    requests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      time: Date.now(),
    });
    handler(req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      closed += 1;
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve()),
  );
  const address = server.address();
  if (address === null || typeof address === "string")
    throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    closedSockets: () => closed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes `chunkBytes`-sized chunks to `res` until the connection closes or `maxBytes` were
 * written (the bound of the loop), respecting back-pressure. Resolves with the bytes written
 * and whether the connection was closed by the other side before the bound was reached.
 */
export function writeEndlessBody(
  res: ServerResponse,
  chunkBytes: number,
  maxBytes: number,
): Promise<{ written: number; closedEarly: boolean }> {
  const chunk = Buffer.alloc(chunkBytes, 0x61);
  let written = 0;
  return new Promise((resolve) => {
    let done = false;
    const finish = (closedEarly: boolean): void => {
      if (done) return;
      done = true;
      resolve({ written, closedEarly });
    };
    res.on("close", () => finish(written < maxBytes));
    const pump = (): void => {
      while (!done && !res.destroyed && written < maxBytes) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once("drain", pump);
          return;
        }
      }
      if (!done && written >= maxBytes) {
        res.end();
        finish(false);
      }
    };
    pump();
  });
}

/**
 * Plain servers for a test file, each closed after its test: call at the top
 * of a file; the function returned starts one answering with `handler`.
 */
export function usePlainServers(): (
  handler: (req: IncomingMessage, res: ServerResponse) => void,
) => Promise<PlainServer> {
  const servers: PlainServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return async (handler) => {
    const server = await startPlainServer(handler);
    servers.push(server);
    return server;
  };
}

/** The rejection of `promise`, which must reject. */
export async function rejectionOf(
  promise: PromiseLike<unknown>,
): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Records unhandled rejections while `body` runs and for a few ticks after it (so a late
 * rejection has time to surface), and returns them with the body's result.
 */
export async function withUnhandledRejections<T>(
  body: () => Promise<T>,
  settleMs = 100,
): Promise<{ result: T; unhandled: unknown[] }> {
  const unhandled: unknown[] = [];
  const listener = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on("unhandledRejection", listener);
  try {
    const result = await body();
    // Unhandled rejections are reported after the microtask queue drains; give it a few turns.
    await sleep(settleMs);
    await new Promise((resolve) => setImmediate(resolve));
    return { result, unhandled };
  } finally {
    process.off("unhandledRejection", listener);
  }
}

/**
 * One Notte test server for the whole test file, reset after each test, and
 * clients of it: call at the top of a file, with a callback that keeps the
 * server for the tests to read.
 */
export function useNotteTestServer(
  onStart: (server: NotteTestServer) => void,
): (options?: NotteClientOptions) => NotteClient {
  let current: NotteTestServer | undefined;
  beforeAll(async () => {
    current = await startNotteTestServer();
    onStart(current);
  });
  afterAll(async () => {
    await current?.close();
  });
  afterEach(() => {
    current?.reset();
  });
  return (options = {}) =>
    new NotteClient({
      apiKey: current?.apiKey,
      baseUrl: current?.url,
      ...options,
    });
}

/** The agent most tests stop. */
export const AGENT = { agentId: "a1", sessionId: "s1" };

/** The same agent, as `raw.DELETE` takes it. */
export const RAW_STOP = {
  params: { path: { agent_id: "a1" }, query: { session_id: "s1" } },
};
