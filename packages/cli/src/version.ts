// The CLI's version, read from its package.json so `--version` and SBOM tool fields never drift.
import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The @rafscan/cli package version (e.g. `0.1.0`). */
export function cliVersion(): string {
  cached ??= (
    JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
  return cached;
}
