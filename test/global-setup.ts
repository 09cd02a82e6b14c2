import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Builds `dist/` once before any test file runs. */
export default function buildOnce(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], {
    cwd: root,
    stdio: "inherit",
  });
}
