/**
 * The throwaway consumer project of the runtime matrix: scripts a user of
 * each runtime would write against the installed package. Each prints one
 * JSON line that the matrix compares with what it expects. The server in the
 * vitest process is passed as arguments (`<url> <api key>`): Deno without
 * `--allow-env` cannot read the environment.
 */

/**
 * How a script reports a call: the status it resolved to, else the error's
 * class name (with the message for a connection error, which no check
 * expects, so that a failure says why), else what escaped that is not a
 * NotteError.
 */
const OUTCOME = `const outcome = (call) =>
  call.then(
    (status) => status.status,
    (error) =>
      !(error instanceof NotteError)
        ? \`not a NotteError: \${error?.name}: \${error?.message}\`
        : error.name === "NotteConnectionError"
          ? \`\${error.name}: \${error.message}\`
          : error.name,
  );`;

/** Node, Bun and Deno: stop, 404, the environment's defaults, the default base URL. */
const MAIN_MJS = `import { NotteClient, NotteError } from "notte-api-client";
${OUTCOME}
const [url, apiKey] = globalThis.Deno ? Deno.args : process.argv.slice(2);
const notte = new NotteClient({ apiKey, baseUrl: url });
const status = await outcome(notte.agents.stop({ agentId: "a1", sessionId: "s1" }));
const notFound = await outcome(notte.agents.stop({ agentId: "nobody", sessionId: "s1" }));
// NOTTE_API_KEY and NOTTE_API_URL, where the environment can be read; unset where it cannot.
// Another agent: a1 is closed now, and stopping a closed agent is a 404.
const fromEnv = await outcome(
  (async () => new NotteClient().agents.stop({ agentId: "a2", sessionId: "s1" }))(),
);
let requested = "";
const probe = new NotteClient({
  apiKey,
  maxRetries: 0,
  fetch: async (input) => {
    requested = typeof input === "string" ? input : input.url;
    throw new Error("not sent");
  },
});
await probe.agents.stop({ agentId: "a1", sessionId: "s1" }).catch(() => undefined);
console.log(JSON.stringify({ status, notFound, fromEnv, baseOrigin: new URL(requested).origin }));
`;

/** Node: the same through require. */
const MAIN_CJS = `const { NotteClient, NotteError } = require("notte-api-client");
${OUTCOME}
const [url, apiKey] = process.argv.slice(2);
(async () => {
  const notte = new NotteClient({ apiKey, baseUrl: url });
  const status = await outcome(notte.agents.stop({ agentId: "a1", sessionId: "s1" }));
  const notFound = await outcome(notte.agents.stop({ agentId: "nobody", sessionId: "s1" }));
  console.log(JSON.stringify({ status, notFound }));
})();
`;

/** Node and Bun: the package's own test server, running in that runtime. */
const TEST_SERVER_MJS = `import { NotteClient, NotteError } from "notte-api-client";
import { startNotteTestServer } from "notte-api-client/testing";
${OUTCOME}
const server = await startNotteTestServer();
server.addAgent({ agentId: "a1", sessionId: "s1", task: "find a dog" });
const notte = new NotteClient({ apiKey: server.apiKey, baseUrl: server.url });
const status = await outcome(notte.agents.stop({ agentId: "a1", sessionId: "s1" }));
const notFound = await outcome(notte.agents.stop({ agentId: "nobody", sessionId: "s1" }));
const requests = server.requests.map((request) => request.status);
await server.close();
console.log(JSON.stringify({ status, notFound, requests }));
`;

/** Node: both builds in one process; an error of either is an instance of the other's classes. */
const BOTH_BUILDS_MJS = `import { createRequire } from "node:module";
import * as esm from "notte-api-client";
const cjs = createRequire(import.meta.url)("notte-api-client");
const [url, apiKey] = process.argv.slice(2);
const notFound = (build) =>
  new build.NotteClient({ apiKey, baseUrl: url }).agents
    .stop({ agentId: "nobody", sessionId: "s1" })
    .catch((error) => error);
const fromCjs = await notFound(cjs);
const fromEsm = await notFound(esm);
const isA = (error, build) => ["NotteNotFoundError", "NotteApiError", "NotteError"].every((name) => error instanceof build[name]);
const isNot = (error, build) => !(error instanceof build.NotteServerError || error instanceof build.NotteConnectionError);
console.log(JSON.stringify({
  twoBuilds: esm.NotteClient !== cjs.NotteClient,
  cjsErrorIsEsmClass: isA(fromCjs, esm) && isNot(fromCjs, esm),
  esmErrorIsCjsClass: isA(fromEsm, cjs) && isNot(fromEsm, cjs),
  plainErrorIsNot: !(new Error("x") instanceof esm.NotteError) && !(new Error("x") instanceof cjs.NotteError),
}));
`;

/**
 * Cloudflare Workers: a module worker, bundled by esbuild. `/stop` stops an
 * agent and asks for an unknown one; `/timeout` calls a server that does not
 * answer, with a short attempt timeout and no retry.
 */
const WORKER_MJS = `import { NotteClient, NotteError } from "notte-api-client";
${OUTCOME}
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/stop") {
      const notte = new NotteClient({ apiKey: env.NOTTE_API_KEY, baseUrl: env.NOTTE_API_URL });
      const status = await outcome(notte.agents.stop({ agentId: "a1", sessionId: "s1" }));
      const notFound = await outcome(notte.agents.stop({ agentId: "nobody", sessionId: "s1" }));
      const fromEnv = await outcome((async () => new NotteClient().agents.stop({ agentId: "a2", sessionId: "s1" }))());
      return Response.json({ status, notFound, fromEnv });
    }
    if (pathname === "/timeout") {
      const notte = new NotteClient({ apiKey: env.NOTTE_API_KEY, baseUrl: env.NOTTE_API_URL, timeoutMs: 300, maxRetries: 0 });
      const started = Date.now();
      const timeout = await outcome(notte.agents.stop({ agentId: "a1", sessionId: "s1" }));
      return Response.json({ timeout, elapsedMs: Date.now() - started });
    }
    return new Response("not found", { status: 404 });
  },
};
`;

/** Vercel's edge runtime: a script bundle (the VM evaluates scripts, not modules) that sets `globalThis.runNotte`. */
const EDGE_ENTRY_MJS = `import { NotteClient, NotteError } from "notte-api-client";
${OUTCOME}
globalThis.runNotte = async (url, apiKey) => {
  const notte = new NotteClient({ apiKey, baseUrl: url });
  const status = await outcome(notte.agents.stop({ agentId: "a1", sessionId: "s1" }));
  const notFound = await outcome(notte.agents.stop({ agentId: "nobody", sessionId: "s1" }));
  const fromEnv = await outcome((async () => new NotteClient().agents.stop({ agentId: "a2", sessionId: "s1" }))());
  return JSON.stringify({ status, notFound, fromEnv });
};
`;

/** Runs the edge bundle inside an EdgeVM: `node edge-host.mjs <@edge-runtime/vm folder> <bundle> <url> <key>`. */
const EDGE_HOST_MJS = `import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
const [vmFolder, bundle, url, apiKey] = process.argv.slice(2);
const { EdgeVM } = createRequire(import.meta.url)(vmFolder);
const vm = new EdgeVM();
vm.evaluate(await readFile(bundle, "utf8"));
console.log(await vm.evaluate(\`runNotte(\${JSON.stringify(url)}, \${JSON.stringify(apiKey)})\`));
`;

/** The consumer project's files, by path. */
export const RUNTIME_CONSUMER_FILES: Record<string, string> = {
  "package.json": JSON.stringify({
    name: "runtime-consumer",
    private: true,
    version: "0.0.0",
    type: "module",
  }),
  "main.mjs": MAIN_MJS,
  "main.cjs": MAIN_CJS,
  "test-server.mjs": TEST_SERVER_MJS,
  "both-builds.mjs": BOTH_BUILDS_MJS,
  "worker.mjs": WORKER_MJS,
  "edge-entry.mjs": EDGE_ENTRY_MJS,
  "edge-host.mjs": EDGE_HOST_MJS,
};
