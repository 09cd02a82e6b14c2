/**
 * The list `notte-agent-stop --from` reads, as a pure function: text in, the agents (each with
 * its line number) or the first malformed line out. Nothing is sent before the whole list
 * parses.
 *
 * @packageDocumentation
 */

/** One agent of the list. */
export interface ListedAgent {
  /** 1-based line number in the list, for messages and `--json`. */
  readonly line: number;
  readonly agentId: string;
  readonly sessionId: string;
}

/** The parsed list, or why it is unusable (a message naming the line, never its content). */
export type AgentList =
  | { readonly ok: true; readonly agents: ListedAgent[] }
  | { readonly ok: false; readonly message: string };

/**
 * Reads one agent per line: `AGENT_ID SESSION_ID` separated by whitespace, or a JSON object
 * with `agent_id`/`session_id` (or `agentId`/`sessionId`). Blank lines and lines whose first
 * non-blank character is `#` are skipped. Messages never repeat a line's text: a list may hold
 * anything, a key pasted by mistake included.
 */
export function parseAgentList(text: string): AgentList {
  const agents: ListedAgent[] = [];
  // A byte-order mark (some editors on Windows write one) is not part of the first id.
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const content = (lines[index] ?? "").trim();
    if (content === "" || content.startsWith("#")) continue;
    const line = index + 1;
    const parsed = content.startsWith("{")
      ? jsonLine(content)
      : wordsLine(content);
    if (typeof parsed === "string") {
      return { ok: false, message: `line ${line}: ${parsed}` };
    }
    agents.push({ line, ...parsed });
  }
  return { ok: true, agents };
}

type Ids = { agentId: string; sessionId: string };

function wordsLine(content: string): Ids | string {
  const words = content.split(/\s+/);
  if (words.length !== 2) {
    return `expected AGENT_ID SESSION_ID (two words), found ${words.length}`;
  }
  const [agentId, sessionId] = words as [string, string];
  return { agentId, sessionId };
}

function jsonLine(content: string): Ids | string {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return "not valid JSON";
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return "not a JSON object";
  }
  const record = value as Record<string, unknown>;
  const agentId = idField(record, "agent_id", "agentId");
  if (typeof agentId !== "object") return agentId;
  const sessionId = idField(record, "session_id", "sessionId");
  if (typeof sessionId !== "object") return sessionId;
  return { agentId: agentId.id, sessionId: sessionId.id };
}

/** The id under either spelling; both given must agree; blank is as good as missing. */
function idField(
  record: Record<string, unknown>,
  snake: string,
  camel: string,
): { id: string } | string {
  const given = [record[snake], record[camel]].filter((v) => v !== undefined);
  if (given.length === 0) return `missing ${snake} (or ${camel})`;
  if (given.some((v) => typeof v !== "string")) {
    return `${snake} must be a string`;
  }
  if (given.length === 2 && given[0] !== given[1]) {
    return `${snake} and ${camel} differ`;
  }
  const id = given[0] as string;
  if (id.trim() === "") return `${snake} is empty`;
  return { id };
}
