/**
 * `npm run generate`: the shell of the generation pipeline. It reads the
 * arguments, runs a mode (regenerate, `--check`, `--pull` in `pull.ts`),
 * prints, and chooses the exit code. The stages live in their own modules
 * and know nothing about the command line.
 *
 * Everything is relative to the current directory (npm runs scripts from the
 * package root), which also lets the tests run it in a scratch copy.
 */
import { HELP, UsageError, parseCli, type Args } from "./cli-args.js";
import { PipelineError, describeError, oneLine } from "./errors.js";
import { GENERATED_DIR, TYPES_FILE, VERSION_FILE } from "./files.js";
import { Formatter } from "./formatter.js";
import { readCommitted } from "./project.js";
import type { Terminal } from "./pull.js";

/** What generated/ should hold for the committed openapi.json. */
async function emitFromCommitted(root: string): Promise<Map<string, string>> {
  // Prettier starts loading in its own process while this one works.
  const formatter = new Formatter(root, [TYPES_FILE, VERSION_FILE]);
  try {
    const doc = await readCommitted(root);
    const { emitGenerated } = await import("./emit.js");
    return await emitGenerated(doc, formatter);
  } finally {
    formatter.stop();
  }
}

async function regenerate(root: string): Promise<number> {
  const files = await emitFromCommitted(root);
  const { writeFiles } = await import("./write.js");
  const result = await writeFiles(root, files, GENERATED_DIR);
  for (const path of result.written) out(`wrote ${path}`);
  for (const path of result.removed) out(`removed ${path}`);
  if (result.unchanged.length > 0)
    out(`unchanged: ${result.unchanged.join(", ")}`);
  return 0;
}

async function check(root: string): Promise<number> {
  const files = await emitFromCommitted(root);
  const { findStaleFiles } = await import("./write.js");
  const stale = await findStaleFiles(root, files, GENERATED_DIR);
  if (stale.length === 0) {
    out(`${GENERATED_DIR}/ is up to date with openapi.json`);
    return 0;
  }
  const list = stale.map((s) => `${s.path} (${s.reason})`).join(", ");
  err(`stale: ${list}; run \`npm run generate\``);
  return 1;
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** The single line on stderr that every failure (or warning) gets. */
function err(text: string): void {
  process.stderr.write(`generate: ${oneLine(text)}\n`);
}

const terminal: Terminal = { out, err };

async function main(argv: readonly string[]): Promise<number> {
  let args: Args;
  try {
    args = parseCli(argv);
  } catch (error) {
    err(
      `${error instanceof Error ? error.message : String(error)} (see --help)`,
    );
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const root = process.cwd();
  try {
    if (args.pull) {
      const { pull } = await import("./pull.js");
      return await pull(root, args, terminal);
    }
    if (args.check) return await check(root);
    return await regenerate(root);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`${error.message} (see --help)`);
      return 2;
    }
    if (error instanceof PipelineError) {
      err(error.message);
      return 1;
    }
    // A bug rather than a bad input; still one line, as promised.
    err(`unexpected error: ${describeError(error)}`);
    return 1;
  }
}

const exitCode = await main(process.argv.slice(2));
// Let what was printed reach a pipe before exiting (writes to pipes can be
// asynchronous, e.g. on macOS)...
await Promise.all(
  [process.stdout, process.stderr].map(
    (stream) => new Promise((resolve) => stream.write("", resolve)),
  ),
);
// ...then exit explicitly: a lingering socket or timer must not keep the
// process (or a CI job) alive once the work is done.
process.exit(exitCode);
