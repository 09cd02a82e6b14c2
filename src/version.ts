/**
 * This package's version: sent as `x-notte-sdk-version` by the client and
 * printed by both commands. In the source rather than read from package.json,
 * so nothing loads a file and the client works bundled; a test keeps it equal
 * to package.json's `version`.
 */
export const VERSION = "0.1.0";
