// Thin wrappers around Debian's erofs-utils 1.5 (mkfs.erofs, fsck.erofs, dump.erofs) and the rafscan CLI.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Repository root (where `packages/cli/bin/rafscan.js` lives). */
export const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");

/** Output of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (no shell); never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], cwd?: string): RunResult {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 512 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** True when `cmd` is an executable file in one of the PATH directories. */
export function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * Why the EROFS tests cannot run here, or undefined when they can: they need erofs-utils
 * (mkfs.erofs, fsck.erofs, dump.erofs), the attr tools (setfattr, getfattr) and root (device
 * nodes, `trusted.*` xattrs, arbitrary owners).
 */
export function erofsSkipReason(): string | undefined {
  const missing = [
    "mkfs.erofs",
    "fsck.erofs",
    "dump.erofs",
    "setfattr",
    "getfattr",
    "mknod",
    "mkfifo",
  ].filter((c) => !onPath(c));
  if (missing.length > 0) {
    return `needs ${missing.join(", ")} on PATH (Debian: apt-get install erofs-utils attr)`;
  }
  if (process.getuid?.() !== 0) return "needs root (device nodes, trusted.* xattrs, chown)";
  return undefined;
}

/** A fresh directory under os.tmpdir(); remove it with {@link removeTempDir}. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rafscan-${prefix}-`));
}

/** Removes a directory made by {@link makeTempDir}. */
export function removeTempDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs `mkfs.erofs --quiet ARGS IMAGE SOURCE`; throws with its output if it fails. */
export function mkfsErofs(image: string, source: string, args: readonly string[] = []): void {
  const r = run("mkfs.erofs", ["--quiet", ...args, image, source]);
  if (r.code !== 0)
    throw new Error(`mkfs.erofs ${args.join(" ")} failed (${r.code}): ${r.stderr}${r.stdout}`);
}

/** Options of {@link fsckErofs}. */
export interface FsckOptions {
  /** Extra device holding chunk data (`--device=`). Default none. */
  device?: string;
  /** Extract into this directory, which must not exist yet (`--extract=`). Default: check only. */
  extractTo?: string;
}

/** Runs fsck.erofs on an image; the caller checks `code`. */
export function fsckErofs(image: string, options: FsckOptions = {}): RunResult {
  const args: string[] = [];
  if (options.device) args.push(`--device=${options.device}`);
  if (options.extractTo) args.push(`--extract=${options.extractTo}`);
  return run("fsck.erofs", [...args, image]);
}

/** The fields `dump.erofs --path=X` prints for one inode. */
export interface DumpedInode {
  nid: number;
  links: number;
  size: number;
  /** Inode size in bytes: 32 compact, 64 extended. */
  inodeSize: number;
  xattrSize: number;
  layout: number;
}

/** Runs `dump.erofs --path=P IMAGE` and parses the inode summary. */
export function dumpInode(image: string, imagePath: string, device?: string): DumpedInode {
  const args = [`--path=${imagePath}`, image];
  if (device) args.unshift(`--device=${device}`);
  const r = run("dump.erofs", args);
  const num = (re: RegExp): number => {
    const m = re.exec(r.stdout);
    if (!m?.[1]) throw new Error(`dump.erofs ${imagePath}: no ${re.source} in ${r.stdout}${r.stderr}`);
    return Number(m[1]);
  };
  return {
    nid: num(/NID: (\d+)/),
    links: num(/Links: (\d+)/),
    size: num(/^Size: (\d+)/m),
    inodeSize: num(/Inode size: (\d+)/),
    xattrSize: num(/Xattr size: (\d+)/),
    layout: num(/Layout: (\d+)/),
  };
}

/** `dump.erofs -s` output as a label → value map ("Filesystem root nid" → "36"). */
export function dumpSuperblock(image: string, device?: string): Map<string, string> {
  const r = run("dump.erofs", [...(device ? [`--device=${device}`] : []), "-s", image]);
  if (r.code !== 0) throw new Error(`dump.erofs -s failed: ${r.stderr}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.split("\n")) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) out.set(m[1].trim(), m[2].trim());
  }
  return out;
}

/** Path of the CLI's compiled entry; absent until `pnpm run build` has run. */
export const RAFSCAN_MAIN = path.join(REPO_ROOT, "packages", "cli", "dist", "main.js");

/** Runs `node packages/cli/bin/rafscan.js ARGS` from the repository root. */
export function runRafscan(args: readonly string[]): RunResult {
  return run(process.execPath, [path.join("packages", "cli", "bin", "rafscan.js"), ...args], REPO_ROOT);
}

/** Like {@link runRafscan}, keeping stdout as bytes (for `cat`). */
export function runRafscanRaw(args: readonly string[]): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [path.join("packages", "cli", "bin", "rafscan.js"), ...args], {
    cwd: REPO_ROOT,
    maxBuffer: 512 << 20,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr.toString("utf8") };
}
