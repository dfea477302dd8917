// @ts-check
// What a benchmark runner checks before it starts: built workspace packages, commands on PATH.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Imports a workspace package's build, failing with the fix when it is not built.
 * @param {string} name  e.g. `@rafscan/builder`
 * @param {string} buildCommand  what builds it, run at the repo root (`npx tsc -b packages/…`)
 * @returns {Promise<any>}
 */
export async function importBuilt(name, buildCommand) {
  let path = "";
  try {
    path = fileURLToPath(import.meta.resolve(name));
  } catch {
    // not linked: reported below
  }
  if (path === "" || !existsSync(path)) {
    throw new Error(`${name} is not built: run \`${buildCommand}\` at the repo root`);
  }
  return import(name);
}

/**
 * Whether `cmd` is a file in one of the PATH directories (no shell, no spawn).
 * @param {string} cmd
 * @returns {boolean}
 */
export function commandExists(cmd) {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, cmd)));
}

/** Throws with the install hint when Debian's docker-registry (or `registry`) is not on PATH. */
export function requireRegistry() {
  if (!commandExists("docker-registry") && !commandExists("registry")) {
    throw new Error("docker-registry is not installed (apt-get install -y docker-registry)");
  }
}
