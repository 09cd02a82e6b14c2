/** How much the client tells its logger; `"off"` (the default) tells nothing. */
export type LogLevel = "off" | "error" | "warn" | "info" | "debug";

/**
 * Where the client's log lines go. `console` fits. Details never hold the API
 * key or the `Authorization` header.
 */
export interface NotteLogger {
  error(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  info(message: string, details?: Record<string, unknown>): void;
  debug(message: string, details?: Record<string, unknown>): void;
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

/** The log levels, quietest first; `"off"` is not one of them. */
export const LOG_LEVELS: readonly LogLevel[] = [
  "off",
  "error",
  "warn",
  "info",
  "debug",
];

/** Builds the {@link Log} for a logger and a level. */
export function createLog(
  logger: NotteLogger | undefined,
  level: LogLevel,
): Log {
  const rank = LOG_LEVELS.indexOf(level);
  const lineFor = (lineLevel: Exclude<LogLevel, "off">): LogLine | undefined =>
    logger && rank >= LOG_LEVELS.indexOf(lineLevel)
      ? (message, details) => {
          // A failing logger must not fail (or change the error of) the call it reports on.
          try {
            logger[lineLevel](`[notte] ${message}`, details);
          } catch {}
        }
      : undefined;
  return {
    error: lineFor("error"),
    warn: lineFor("warn"),
    info: lineFor("info"),
    debug: lineFor("debug"),
  };
}
