/**
 * This package's version, sent as `x-notte-sdk-version`.
 *
 * Fixed in the source rather than read from package.json at run time, so the
 * client loads no file and works when bundled; a test keeps it equal to
 * package.json's `version`.
 */
export const VERSION = "0.1.0";
