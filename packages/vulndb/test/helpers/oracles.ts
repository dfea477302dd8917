// Finds the real tools the differential version tests compare against: a python3 that has a
// given module (python3-apt, python3-packaging) and rpm with its Lua interpreter.
import { spawnSync } from "node:child_process";

/** A python3 executable that can import `module`, or undefined. The Debian one comes first:
 * python3-apt installs there, not into a pyenv or venv python. */
export function pythonWith(module: string): string | undefined {
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(py, ["-c", `import ${module}`], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** True when `rpm --eval` runs Lua with rpm.vercmp. */
export function hasRpmLua(): boolean {
  const r = spawnSync("rpm", ["--eval", '%{lua: print(rpm.vercmp("1","2"))}'], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === "-1";
}

/** True when `php` runs. */
export function hasPhp(): boolean {
  return spawnSync("php", ["-r", "echo version_compare('1','2');"], { encoding: "utf8" }).stdout === "-1";
}
