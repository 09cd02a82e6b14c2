/**
 * Runs a module worker in Cloudflare's `workerd`, the way `wrangler dev`
 * would: the worker bundled by esbuild for the Workers platform, its outbound
 * requests allowed to loopback (workerd's default network service only
 * reaches public addresses), listening on a free loopback port.
 */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { build } from "esbuild";

/** A running workerd. */
export interface RunningWorker {
  /** Where the worker answers, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** What workerd printed so far (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

/**
 * Bundles `entry` (resolving packages from `folder`'s node_modules with the
 * conditions Workers use), writes a workerd config beside it, and serves it.
 * `bindings` become the worker's `env` (text bindings).
 */
export async function startWorker(
  workerd: string,
  folder: string,
  entry: string,
  bindings: Record<string, string>,
): Promise<RunningWorker> {
  await build({
    absWorkingDir: folder,
    entryPoints: [entry],
    outfile: join(folder, "worker.bundle.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    target: "es2022",
    logLevel: "error",
  });
  const port = await freePort();
  await writeFile(join(folder, "config.capnp"), config(port, bindings));
  const child = spawn(workerd, ["serve", "config.capnp"], {
    cwd: folder,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => resolve()),
  );
  const url = `http://127.0.0.1:${port}`;
  const worker: RunningWorker = {
    url,
    output: () => output,
    async close() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
  // Bounded wait for the socket: 150 tries, 100 ms apart.
  for (let attempt = 0; attempt < 150; attempt++) {
    if (child.exitCode !== null) break;
    const ready = await fetch(`${url}/ready`).then(
      () => true,
      () => false,
    );
    if (ready) return worker;
    await sleep(100);
  }
  await worker.close();
  throw new Error(`workerd did not start listening on ${url}:\n${output}`);
}

function config(port: number, bindings: Record<string, string>): string {
  const texts = Object.entries(bindings)
    .map(
      ([name, text]) =>
        `(name = ${capnpString(name)}, text = ${capnpString(text)})`,
    )
    .join(", ");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.bundle.js")],
  compatibilityDate = "2026-11-01",
  globalOutbound = "loopback",
  bindings = [${texts}],
);
`;
}

function capnpString(value: string): string {
  return JSON.stringify(value);
}

/** A port nothing listens on right now (the kernel's pick for port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
