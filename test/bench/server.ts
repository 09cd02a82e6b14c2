/**
 * The loopback server of the per-call benchmark, run as its own process so
 * its work does not share the client's event loop or core.
 *
 * It answers `DELETE /agents/{agent_id}/stop?session_id=…` with a realistic
 * `AgentStatusResponse` (a stopped agent with a few steps), serialized once at
 * start so every answer costs the server the same. It checks the bearer key
 * with one string comparison, so a variant that forgot the header would show
 * up as 401s rather than as a fast run.
 *
 * `GET /__stats` answers the request counts and this process's CPU time, for
 * the benchmark to check that the calls arrived and to tell whether the server
 * or the client was the bottleneck.
 *
 * Protocol: prints one JSON line `{"port": n}` on stdout once listening; exits
 * when its stdin closes (the benchmark ended or died) or on SIGTERM.
 *
 * Run by hand: `npx tsx test/bench/server.ts <apiKey>`.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The ids every benchmark variant sends. */
export const BENCH_AGENT_ID = "agent_2f0c7e4b-91d3-4c55-a0f1-6b8e2d9a7c31";
export const BENCH_SESSION_ID = "sess_8d1b3f60-5a2e-4e7c-9b44-0c6f1e2a9d85";

/** What `GET /__stats` answers. */
export interface ServerStats {
  stops: number;
  unauthorized: number;
  other: number;
  /** TCP connections accepted: with keep-alive working, about as many as calls were ever in flight at once. */
  connections: number;
  /** This process's CPU time so far, in microseconds. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
}

/** A stopped agent as the Notte API reports it: every field filled, a short history of steps. */
export function realisticStopBody(agentId: string, sessionId: string): string {
  return JSON.stringify({
    agent_id: agentId,
    created_at: "2025-11-28T21:04:17.412938Z",
    session_id: sessionId,
    status: "closed",
    closed_at: "2025-11-28T21:05:02.118374Z",
    saved: false,
    task: "Find the opening hours of the Musée d'Orsay on its official website and return them",
    url: "https://www.musee-orsay.fr/en",
    success: null,
    answer: null,
    steps: [
      {
        type: "goto",
        url: "https://www.musee-orsay.fr/en",
        reasoning:
          "Open the museum's official website to look for practical information.",
        success: true,
        duration_ms: 2143,
      },
      {
        type: "click",
        selector: "nav a[href='/en/visit']",
        text: "Plan your visit",
        reasoning: "Opening hours are usually on the visit page.",
        success: true,
        duration_ms: 1587,
      },
      {
        type: "scrape",
        instructions:
          "Extract the opening days and hours, including late openings",
        reasoning: "Read the hours from the page.",
        success: true,
        duration_ms: 3321,
      },
    ],
  });
}

function main(): void {
  const apiKey = process.argv[2] ?? process.env.NOTTE_BENCH_KEY;
  if (!apiKey) {
    process.stderr.write("usage: server.ts <apiKey>\n");
    process.exit(2);
  }
  const expectedAuthorization = `Bearer ${apiKey}`;
  const body = Buffer.from(realisticStopBody(BENCH_AGENT_ID, BENCH_SESSION_ID));
  const stopHeaders = {
    "content-type": "application/json",
    "content-length": String(body.length),
    "x-ratelimit-limit": "1000",
    "x-ratelimit-remaining": "999",
    "x-request-id": "req_0b5d7a1e9c3f4a26",
  };
  const counts = { stops: 0, unauthorized: 0, other: 0, connections: 0 };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    if (
      req.method === "DELETE" &&
      url.startsWith("/agents/") &&
      url.includes("/stop?session_id=")
    ) {
      if (req.headers.authorization !== expectedAuthorization) {
        counts.unauthorized++;
        res
          .writeHead(401, { "content-type": "application/json" })
          .end('{"detail":"Not authenticated"}');
        return;
      }
      counts.stops++;
      res.writeHead(200, stopHeaders).end(body);
      return;
    }
    if (req.method === "GET" && url === "/__stats") {
      const cpu = process.cpuUsage();
      const stats: ServerStats = {
        ...counts,
        cpuUserMicros: cpu.user,
        cpuSystemMicros: cpu.system,
      };
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(stats));
      return;
    }
    counts.other++;
    res
      .writeHead(404, { "content-type": "application/json" })
      .end('{"detail":"Not Found"}');
  });
  server.on("connection", () => {
    counts.connections++;
  });
  // Connections stay open between rounds: the benchmark measures calls, not handshakes.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address === null || typeof address === "string")
      throw new Error("no TCP address");
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });

  const stop = (): void => {
    server.closeAllConnections();
    server.close();
    process.exit(0);
  };
  process.stdin.on("end", stop).on("close", stop).resume();
  process.on("SIGTERM", stop);
}

// Run as a process; importing this module (for the constants) starts nothing.
if (
  process.argv[1] !== undefined &&
  resolve(process.argv[1]) === fileURLToPath(import.meta.url)
)
  main();
