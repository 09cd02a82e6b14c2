/**
 * The agents a test server knows: adding them (one, or many for bulk set-up), reading copies,
 * and what stopping one does to it.
 *
 * @packageDocumentation
 */

import type { AgentStatusResponse, NotteTestAgent } from "./types.js";

/** Most agents one `addAgents` call adds: bulk set-up, not a memory test. */
const MAX_BULK_AGENTS = 1_000_000;

/** The server's agents by id; what it hands out are copies. */
export class AgentStore {
  readonly #agents = new Map<string, AgentStatusResponse>();
  #nextBulkId = 1;

  /** Adds an agent, replacing one with the same id; returns a copy of what the API shows. */
  add(input: NotteTestAgent): AgentStatusResponse {
    if (
      typeof input.agentId !== "string" ||
      typeof input.sessionId !== "string"
    ) {
      throw new TypeError("agentId and sessionId must be strings");
    }
    const now = new Date().toISOString();
    const status = input.status ?? "active";
    const closedAt =
      input.closedAt === undefined
        ? status === "closed"
          ? now
          : null
        : input.closedAt;
    const agent: AgentStatusResponse = {
      agent_id: input.agentId,
      session_id: input.sessionId,
      task: input.task,
      status,
      created_at: toIso(input.createdAt) ?? now,
      closed_at: closedAt === null ? null : (toIso(closedAt) ?? null),
      url: input.url ?? null,
      saved: input.saved ?? false,
      success: input.success ?? null,
      answer: input.answer ?? null,
      steps: input.steps === undefined ? [] : structuredClone(input.steps),
    };
    this.#agents.set(input.agentId, agent);
    return structuredClone(agent);
  }

  /** Adds `count` active agents to the session under fresh ids, and returns the ids in order. */
  addMany(count: number, sessionId: string, task: string): string[] {
    if (!Number.isSafeInteger(count) || count < 0 || count > MAX_BULK_AGENTS) {
      throw new RangeError(
        `count must be an integer from 0 to ${MAX_BULK_AGENTS}`,
      );
    }
    if (typeof sessionId !== "string" || typeof task !== "string") {
      throw new TypeError("sessionId and task must be strings");
    }
    const ids: string[] = [];
    while (ids.length < count) {
      const agentId = `agent_bulk_${this.#nextBulkId++}`;
      // An id a test chose itself is never replaced.
      if (this.#agents.has(agentId)) continue;
      this.add({ agentId, sessionId, task });
      ids.push(agentId);
    }
    return ids;
  }

  /** A copy of the agent's status, or undefined when unknown. */
  copy(agentId: string): AgentStatusResponse | undefined {
    const found = this.#agents.get(agentId);
    return found === undefined ? undefined : structuredClone(found);
  }

  /**
   * Stops the agent if it is in that session and returns its status (the stored object, to
   * serialize at once), or undefined when there is no such agent in that session.
   */
  stop(agentId: string, sessionId: string): AgentStatusResponse | undefined {
    const agent = this.#agents.get(agentId);
    if (agent === undefined || agent.session_id !== sessionId) return undefined;
    if (agent.status === "active") {
      agent.status = "closed";
      agent.closed_at = new Date().toISOString();
    }
    return agent;
  }

  /** Forgets every agent. */
  clear(): void {
    this.#agents.clear();
  }
}

function toIso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.toISOString();
}
