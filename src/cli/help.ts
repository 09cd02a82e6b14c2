/**
 * What `notte-agent-stop --help` and `--version` print. The defaults come from the client, so
 * the text cannot drift from what the command does.
 *
 * @packageDocumentation
 */
import { NOTTE_API_VERSION } from "../../generated/api-version.js";
import { VERSION } from "../client.js";
import { COMMAND_NAME, MAX_CONCURRENCY } from "./args.js";

/** What `--version` prints: this package's version and the API document's. */
export function versionText(): string {
  return `${COMMAND_NAME} ${VERSION} (notte-api-client ${VERSION}, Notte API ${NOTTE_API_VERSION})\n`;
}

/** What `--help` prints; the defaults come from the client, so they cannot drift. */
export function helpText(): string {
  return `Usage: ${COMMAND_NAME} <agent-id> --session-id <id> [options]
       ${COMMAND_NAME} --from <file> [--concurrency <n>] [options]
       ${COMMAND_NAME} --help | --version

Stops a running Notte agent (DELETE /agents/{agent_id}/stop) and prints its
status. It does not wait for the agent to finish.

With --from, stops every agent listed in the file (- for stdin), one per line:
"AGENT_ID SESSION_ID", or JSON Lines with agent_id and session_id (or agentId
and sessionId). Blank lines and lines starting with # are skipped; a malformed
line is a usage error and nothing is sent. Progress shows on a terminal; at the
end, each failure and a summary are printed on stderr.

Options (as --flag value or --flag=value):
  --session-id <id>    the session the agent runs in (required)
  --api-key <key>      API key (default: NOTTE_API_KEY; prefer the variable:
                       arguments are visible to other users in the process list)
  --base-url <url>     API base URL (default: NOTTE_API_URL, else https://api.notte.cc)
  --timeout <ms>       limit for each attempt, in milliseconds (default 60000)
  --max-retries <n>    retries after the first attempt, 0 to 10 (default 2)
  --from <file>        stop every agent listed in the file, or - for stdin
  --concurrency <n>    with --from: calls in flight at most, 1 to ${MAX_CONCURRENCY} (default 8)
  --json               print the API's answer exactly as received, as JSON;
                       with --from, one JSON object per agent, in input order
  --quiet              print nothing on success
  -h, --help           print this help
  --version            print the version of this command and of the Notte API

An <agent-id> that starts with "-" goes after --:  ${COMMAND_NAME} --session-id s -- -a1

Environment:
  NOTTE_API_KEY        API key
  NOTTE_API_URL        API base URL
  NOTTE_DEBUG=1        log each attempt and print stack traces, on stderr

Errors are printed on stderr as one line. Exit status:
  0    the agent is stopped (or was already); with --from, every agent
  1    unexpected internal error (a bug: please report it)
  2    usage error: unknown option, missing argument, bad number, malformed list
  3    configuration error: no API key, unusable base URL
  4    the API refused the request (4xx), or the ids are unusable; with
       --from, some were refused and none failed otherwise
  5    the API or the network failed: 5xx, connection, timeout, unusable answer;
       with --from, for any agent
  130  interrupted (Ctrl-C); the requests in flight were aborted
`;
}
