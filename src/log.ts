import { callQuietly } from "./quietly.js";
import { redact } from "./redact.js";

/** How much the client tells its logger; `"off"` (the default) tells nothing. */
export type LogLevel = "off" | "error" | "warn" | "info" | "debug";

/**
 * Where the client's log lines go. `console` fits. Lines and details never
 * hold the API key. A method may be async: what it returns is ignored, and a
 * rejection (like a throw) changes nothing.
 */
export interface NotteLogger {
  error(message: string, details?: Record<string, unknown>): unknown;
  warn(message: string, details?: Record<string, unknown>): unknown;
  info(message: string, details?: Record<string, unknown>): unknown;
  debug(message: string, details?: Record<string, unknown>): unknown;
}

type LogLine = (message: string, details?: Record<string, unknown>) => void;

/**
 * One optional function per level, present only when that level is enabled.
 * Callers write `log.debug?.(…)`: when the level is off, the optional call
 * skips even building the arguments, so logging costs nothing by default.
 */
export interface Log {
  readonly error: LogLine | undefined;
  readonly warn: LogLine | undefined;
  readonly info: LogLine | undefined;
  readonly debug: LogLine | undefined;
}

/** Every value of {@link LogLevel}, quietest first. */
export const LOG_LEVELS: readonly LogLevel[] = [
  "off",
  "error",
  "warn",
  "info",
  "debug",
];

/** Builds the {@link Log} for a logger and a level; `secret` is redacted from every line. */
export function createLog(
  logger: NotteLogger | undefined,
  level: LogLevel,
  secret: string,
): Log {
  const rank = LOG_LEVELS.indexOf(level);
  const lineFor = (lineLevel: Exclude<LogLevel, "off">): LogLine | undefined =>
    logger && rank >= LOG_LEVELS.indexOf(lineLevel)
      ? (message, details) => {
          // A failing logger, sync or async, must not fail (or change the error of)
          // the call it reports on, nor crash the process with an unhandled rejection.
          callQuietly(() =>
            logger[lineLevel](
              redact(`[notte] ${message}`, secret),
              redact(details, secret),
            ),
          );
        }
      : undefined;
  return {
    error: lineFor("error"),
    warn: lineFor("warn"),
    info: lineFor("info"),
    debug: lineFor("debug"),
  };
}
