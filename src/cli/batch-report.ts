/**
 * What `notte-agent-stop --from` prints and how it exits, as pure functions: the progress
 * line, one line per failure, the summary, the `--json` line of each agent, the exit status.
 *
 * @packageDocumentation
 */
import { NotteAbortError } from "../errors.js";
import type { StopManyProgress, StopManyResult } from "../client.js";
import type { ListedAgent } from "./agent-list.js";
import { errorLine, EXIT_CODES, exitCodeFor, printable } from "./report.js";

/** The line shown (and rewritten in place) on a terminal while the batch runs. */
export function progressLine(progress: StopManyProgress): string {
  return `stopping ${progress.done}/${progress.total} · ${progress.stopped} stopped · ${progress.failed} failed`;
}

/** How many results are failures, and how many of those were cut short by Ctrl-C. */
function tally(results: readonly StopManyResult[]): {
  stopped: number;
  failed: number;
  aborted: number;
} {
  let stopped = 0;
  let failed = 0;
  let aborted = 0;
  for (const result of results) {
    if (result.ok) stopped += 1;
    else if (result.error instanceof NotteAbortError) aborted += 1;
    else failed += 1;
  }
  return { stopped, failed, aborted };
}

/**
 * The last line on stderr: `stopped 118 of 120 agents · 2 failed`, and after Ctrl-C
 * `interrupted: stopped 3 of 10 agents · 1 failed · 6 aborted or not sent`.
 */
export function summaryLine(results: readonly StopManyResult[]): string {
  const { stopped, failed, aborted } = tally(results);
  const parts = [`stopped ${stopped} of ${results.length} agents`];
  if (failed > 0 || aborted > 0) parts.push(`${failed} failed`);
  if (aborted > 0) parts.push(`${aborted} aborted or not sent`);
  return `${aborted > 0 ? "interrupted: " : ""}${parts.join(" · ")}`;
}

/**
 * One line per failed agent, in input order: `line 7: agent a7, session s1: NotteNotFoundError:
 * 404 Agent not found`. Agents that Ctrl-C cut short are counted in the summary instead.
 */
export function failureLines(
  agents: readonly ListedAgent[],
  results: readonly StopManyResult[],
): string[] {
  const lines: string[] = [];
  results.forEach((result, index) => {
    if (result.ok || result.error instanceof NotteAbortError) return;
    const agent = agents[index];
    const where =
      agent === undefined
        ? ""
        : `line ${agent.line}: agent ${printable(agent.agentId)}, session ${printable(agent.sessionId)}: `;
    lines.push(`${where}${errorLine(result.error)}`);
  });
  return lines;
}

/** The `--json` line of one agent: its list line, ids, and status or error. */
export function jsonLine(agent: ListedAgent, result: StopManyResult): string {
  const ids = {
    line: agent.line,
    agent_id: agent.agentId,
    session_id: agent.sessionId,
  };
  if (result.ok)
    return JSON.stringify({ ...ids, ok: true, status: result.status });
  const { error } = result;
  return JSON.stringify({
    ...ids,
    ok: false,
    error: {
      name: error.name,
      message: error.message,
      ...("status" in error && { status: error.status }),
    },
  });
}

/**
 * 130 when Ctrl-C cut the batch short; else 5 when any agent failed for the network or the
 * server; else 4 when any was refused; else 0.
 */
export function batchExitCode(results: readonly StopManyResult[]): number {
  let code: number = EXIT_CODES.stopped;
  for (const result of results) {
    if (result.ok) continue;
    const own = exitCodeFor(result.error);
    if (own === EXIT_CODES.interrupted) return own;
    if (own === EXIT_CODES.refused) {
      if (code === EXIT_CODES.stopped) code = own;
    } else {
      // A failure of the network or the server, or anything unexpected: the batch failed.
      code = EXIT_CODES.failed;
    }
  }
  return code;
}
