// Real Debian root filesystems for scan tests and benchmarks: debootstrap (minbase plus a few
// packages that install Python and Node packages through apt), cached under
// `$RAFSCAN_CACHE/debian-<suite>-<variant>-<hash>/` together with the ground truth read from the host
// (`dpkg-query --admindir`, the list of Python metadata directories).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { lstat, mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";

/** Bump when the way a tree or its ground truth is made changes, so old caches are not reused. */
export const DEBIAN_ROOTFS_FORMAT = 1;

/**
 * Packages added to minbase. Python: each ships one metadata directory in
 * /usr/lib/python3/dist-packages, chosen to cover both kinds Debian produces in bookworm
 * (`*.egg-info` from setup.py builds: six, idna, certifi; `*.dist-info` from PEP 517 builds: PyYAML,
 * distro, packaging, attrs, charset_normalizer) and python3-cryptography, which ships both a
 * `cryptography-38.0.4.dist-info` and a versionless `cryptography.egg-info`. python3-cffi-backend is
 * named because debootstrap cannot resolve the virtual `python3-cffi-backend-api-*` it provides.
 * Node: Debian installs node-* packages as /usr/share/nodejs/<name>/ (reachable as
 * /usr/share/node_modules/<name> through a symlink nodejs ships), not as a node_modules tree. `npm`,
 * whose bundled /usr/share/nodejs/npm/node_modules holds ~40 packages, is left out: it pulls ~400
 * packages (webpack, eslint, babel: 260 MiB) and virtual dependencies debootstrap cannot resolve.
 */
export const DEFAULT_DEBIAN_PACKAGES: readonly string[] = [
  "python3",
  "python3-six",
  "python3-yaml",
  "python3-idna",
  "python3-certifi",
  "python3-distro",
  "python3-packaging",
  "python3-attr",
  "python3-charset-normalizer",
  "python3-cryptography",
  "python3-cffi-backend",
  "node-inherits",
  "node-semver",
  "node-debug",
];

/** Options of {@link debianRootfs}. */
export interface DebianRootfsOptions {
  /** Default `bookworm`. */
  readonly suite?: string;
  /** debootstrap `--variant`. Default `minbase`. */
  readonly variant?: string;
  /** Default `http://deb.debian.org/debian` (what benchmarks/metadata/corpus.mjs uses). */
  readonly mirror?: string;
  /** Packages passed to `--include`. Default {@link DEFAULT_DEBIAN_PACKAGES}. */
  readonly include?: readonly string[];
  /** Cache root. Default `$RAFSCAN_CACHE`, else `~/.cache/rafscan`. */
  readonly cacheRoot?: string;
  /** Longest a build (or a wait for another process's build) may take. Default 15 minutes. */
  readonly timeoutMs?: number;
  /** Progress lines. Default: none. */
  readonly log?: (message: string) => void;
}

/** One row of `dpkg-query -W`: what dpkg itself says is in the tree. */
export interface DpkgRow {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  /** `${db:Status-Abbrev}` trimmed: `ii` for installed packages. */
  readonly status: string;
}

/** Figures about a cached tree, written once when it is built. */
export interface DebianManifest {
  readonly format: number;
  readonly suite: string;
  readonly variant: string;
  readonly mirror: string;
  readonly include: readonly string[];
  /** Entries under the root (the root included), regular files among them, and their bytes. */
  readonly entries: number;
  readonly files: number;
  readonly fileBytes: number;
  /** Wall time of debootstrap, in seconds. */
  readonly debootstrapSeconds: number;
  readonly builtAt: string;
}

/** A cached Debian tree and its ground truth. */
export interface DebianRootfs {
  /** The cache directory: `rootfs/`, `dpkg-query.tsv`, `python-metadata.txt`, `manifest.json`. */
  readonly dir: string;
  /** The root filesystem. */
  readonly root: string;
  readonly dpkg: readonly DpkgRow[];
  /** Image paths of every `*.dist-info` and `*.egg-info` (directory or file), sorted. */
  readonly pythonMetadata: readonly string[];
  readonly manifest: DebianManifest;
}

/** Thrown by {@link debianRootfs} when the tree is not cached and cannot be built here. */
export class DebianRootfsUnavailable extends Error {
  override readonly name = "DebianRootfsUnavailable";
}

const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const DEBOOTSTRAP = "/usr/sbin/debootstrap";
/** dpkg-query's format: one tab-separated row per package. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own `${Field}` syntax, not a template.
const DPKG_FORMAT = "${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n";

interface Resolved {
  readonly suite: string;
  readonly variant: string;
  readonly mirror: string;
  readonly include: readonly string[];
  readonly dir: string;
  readonly timeoutMs: number;
  readonly log: (message: string) => void;
}

function resolveOptions(options: DebianRootfsOptions): Resolved {
  const suite = options.suite ?? "bookworm";
  const variant = options.variant ?? "minbase";
  const mirror = options.mirror ?? "http://deb.debian.org/debian";
  const include = [...new Set(options.include ?? DEFAULT_DEBIAN_PACKAGES)].sort();
  for (const name of [suite, variant, ...include]) {
    // These end up on a command line and in a directory name.
    if (!/^[a-z0-9][a-z0-9+.-]*$/.test(name)) throw new TypeError(`bad suite, variant or package: ${name}`);
  }
  const cacheRoot = options.cacheRoot ?? process.env.RAFSCAN_CACHE ?? join(homedir(), ".cache", "rafscan");
  const hash = createHash("sha256")
    .update(JSON.stringify({ format: DEBIAN_ROOTFS_FORMAT, mirror, include }))
    .digest("hex")
    .slice(0, 12);
  return {
    suite,
    variant,
    mirror,
    include,
    dir: join(cacheRoot, `debian-${suite}-${variant}-${hash}`),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    log: options.log ?? (() => {}),
  };
}

/** The cache directory `options` name (whether or not it has been built). */
export function debianRootfsDir(options: DebianRootfsOptions = {}): string {
  return resolveOptions(options).dir;
}

function isComplete(dir: string): boolean {
  return existsSync(join(dir, "manifest.json")) && existsSync(join(dir, "rootfs"));
}

/**
 * Why {@link debianRootfs} could not deliver here, or undefined when it can: the tree is cached, or
 * this is root with `/usr/sbin/debootstrap`, `dpkg-query` and a reachable mirror. Setting
 * `RAFSCAN_NO_DEBOOTSTRAP=1` forbids building (a cached tree is still used).
 */
export async function debianRootfsUnavailable(
  options: DebianRootfsOptions = {},
): Promise<string | undefined> {
  const r = resolveOptions(options);
  if (isComplete(r.dir)) return undefined;
  if (process.env.RAFSCAN_NO_DEBOOTSTRAP === "1")
    return `${r.dir} is not cached and RAFSCAN_NO_DEBOOTSTRAP=1`;
  if (process.getuid?.() !== 0) return "debootstrap needs root";
  if (!existsSync(DEBOOTSTRAP)) return `${DEBOOTSTRAP} is missing (apt-get install debootstrap)`;
  if (!(await commandWorks("dpkg-query", ["--version"]))) return "dpkg-query is missing (a Debian host)";
  const url = `${r.mirror}/dists/${r.suite}/InRelease`;
  try {
    const res = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return `mirror answered ${res.status} for ${url}`;
  } catch (err) {
    return `mirror unreachable (${url}): ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

/**
 * The Debian tree `options` describe, built on first use (debootstrap, minutes) and cached. The
 * build runs in `<dir>.tmp-<pid>` and is renamed into place only when complete, so an interrupted
 * run never leaves a tree that looks cached; a `<dir>.lock` file (holding the builder's pid) makes a
 * concurrent caller wait for the build instead of starting another.
 * @throws DebianRootfsUnavailable when the tree is not cached and cannot be built (see
 *   {@link debianRootfsUnavailable}); Error when debootstrap fails or times out
 */
export async function debianRootfs(options: DebianRootfsOptions = {}): Promise<DebianRootfs> {
  const r = resolveOptions(options);
  if (!isComplete(r.dir)) {
    const why = await debianRootfsUnavailable(options);
    if (why !== undefined) throw new DebianRootfsUnavailable(why);
    await buildLocked(r);
  }
  return loadCached(r.dir);
}

async function loadCached(dir: string): Promise<DebianRootfs> {
  const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as DebianManifest;
  const dpkg = parseDpkgQuery(await readFile(join(dir, "dpkg-query.tsv"), "utf8"));
  const pythonMetadata = (await readFile(join(dir, "python-metadata.txt"), "utf8"))
    .split("\n")
    .filter((l) => l !== "");
  return { dir, root: join(dir, "rootfs"), dpkg, pythonMetadata, manifest };
}

/** Parses the rows {@link DPKG_FORMAT} prints. */
export function parseDpkgQuery(text: string): DpkgRow[] {
  const rows: DpkgRow[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const [name, version, arch, status] = line.split("\t");
    if (name === undefined || version === undefined || arch === undefined || status === undefined) {
      throw new Error(`bad dpkg-query row: ${JSON.stringify(line)}`);
    }
    rows.push({ name, version, arch, status: status.trim() });
  }
  return rows;
}

/** Takes the lock (waiting for another builder), then builds unless that builder already did. */
async function buildLocked(r: Resolved): Promise<void> {
  const lock = `${r.dir}.lock`;
  await mkdir(dirname(r.dir), { recursive: true });
  const deadline = Date.now() + r.timeoutMs;
  let polls = 0;
  for (;;) {
    if (isComplete(r.dir)) return;
    try {
      const h = await open(lock, "wx");
      await h.writeFile(String(process.pid));
      await h.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let text: string;
    try {
      text = readFileSync(lock, "utf8");
    } catch {
      continue; // the holder just released it
    }
    // An empty file is a holder between creating and writing it (or one that died right there).
    const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    const fresh = text === "" && age < 60_000;
    const holder = fresh ? process.pid : Number.parseInt(text.trim(), 10);
    if (!Number.isSafeInteger(holder) || holder <= 0 || !processAlive(holder)) {
      r.log(`removing stale lock ${lock} (pid ${holder} is gone)`);
      await rm(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for pid ${holder} to build ${r.dir}`);
    if (polls++ % 30 === 0) r.log(`waiting for pid ${holder}, which is building ${r.dir}`);
    await new Promise((done) => setTimeout(done, 2000));
  }
  try {
    if (!isComplete(r.dir)) await build(r, deadline);
  } finally {
    await rm(lock, { force: true });
  }
}

async function build(r: Resolved, deadline: number): Promise<void> {
  // Leftovers of builds whose process died: we hold the lock, so no live build owns them, but a
  // debootstrap orphaned by a killed test run (it has its own process group) may still write there.
  for (const name of await readdir(dirname(r.dir))) {
    if (!name.startsWith(`${basename(r.dir)}.tmp-`)) continue;
    const stale = join(dirname(r.dir), name);
    const writers = processesNaming(stale);
    if (writers.length > 0) {
      throw new Error(`processes ${writers.join(", ")} still work in ${stale}: let them end (or kill them)`);
    }
    await removeTree(stale);
  }
  if (existsSync(r.dir)) await removeTree(r.dir);
  const tmp = `${r.dir}.tmp-${process.pid}`;
  const root = join(tmp, "rootfs");
  await mkdir(tmp, { recursive: true });
  try {
    r.log(`debootstrap --variant=${r.variant} ${r.suite} with ${r.include.length} packages (minutes, once)`);
    const t0 = performance.now();
    await run(
      DEBOOTSTRAP,
      [`--variant=${r.variant}`, `--include=${r.include.join(",")}`, r.suite, root, r.mirror],
      Math.max(1000, deadline - Date.now()),
    ).catch((err: Error) => {
      // debootstrap's own log says which package failed; the tree is about to be removed.
      const log = join(root, "debootstrap", "debootstrap.log");
      const tail = existsSync(log) ? readFileSync(log, "utf8").slice(-3000) : "";
      throw new Error(`${err.message}${tail === "" ? "" : `\n--- ${log} (tail) ---\n${tail}`}`);
    });
    const debootstrapSeconds = Math.round((performance.now() - t0) / 100) / 10;
    // Official debian images ship without apt lists and caches; they are 80 MB nobody scans.
    for (const sub of ["var/lib/apt/lists", "var/cache/apt"]) {
      for (const name of await readdir(join(root, sub))) {
        if (name !== "lock" && name !== "partial" && name !== "archives") {
          await rm(join(root, sub, name), { recursive: true, force: true });
        }
      }
    }
    const dpkgTsv = await capture("dpkg-query", [
      `--admindir=${join(root, "var/lib/dpkg")}`,
      "-W",
      `-f=${DPKG_FORMAT}`,
    ]);
    await writeFile(join(tmp, "dpkg-query.tsv"), dpkgTsv);
    const counts = { entries: 0, files: 0, fileBytes: 0 };
    const python: string[] = [];
    await walkTree(root, "", counts, python);
    python.sort();
    await writeFile(join(tmp, "python-metadata.txt"), python.map((p) => `${p}\n`).join(""));
    const manifest: DebianManifest = {
      format: DEBIAN_ROOTFS_FORMAT,
      suite: r.suite,
      variant: r.variant,
      mirror: r.mirror,
      include: r.include,
      ...counts,
      debootstrapSeconds,
      builtAt: new Date().toISOString(),
    };
    await writeFile(join(tmp, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    if (mountsUnder(tmp).length > 0) throw new Error(`debootstrap left mounts under ${tmp}`);
    await rename(tmp, r.dir);
    r.log(`built ${r.dir}: ${counts.entries} entries, ${counts.fileBytes} bytes in ${debootstrapSeconds} s`);
  } catch (err) {
    await removeTree(tmp).catch((e: unknown) => r.log(`could not remove ${tmp}: ${String(e)}`));
    throw err;
  }
}

/** Counts the tree (no symlink following) and collects Python metadata paths (image paths). */
async function walkTree(
  root: string,
  rel: string,
  counts: { entries: number; files: number; fileBytes: number },
  python: string[],
): Promise<void> {
  const st = await lstat(join(root, rel));
  counts.entries++;
  const name = basename(rel);
  if (name.endsWith(".dist-info") || name.endsWith(".egg-info")) python.push(`/${rel}`);
  if (st.isFile()) {
    counts.files++;
    counts.fileBytes += st.size;
  } else if (st.isDirectory()) {
    for (const child of (await readdir(join(root, rel))).sort()) {
      await walkTree(root, rel === "" ? child : `${rel}/${child}`, counts, python);
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Pids of processes whose command line names `path` (an orphaned debootstrap and its children). */
function processesNaming(path: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(path)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Mount points at or below `dir`, deepest first (from /proc/self/mountinfo, octal escapes decoded). */
function mountsUnder(dir: string): string[] {
  let info: string;
  try {
    info = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of info.split("\n")) {
    const field = line.split(" ")[4];
    if (field === undefined) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    if (point === dir || point.startsWith(`${dir}/`)) out.push(point);
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Removes a (possibly half-built) tree. A debootstrap killed mid-way can leave /proc, /sys and bind
 * mounts of host device nodes inside the target: they are unmounted first, and nothing is removed
 * while any remains, so a recursive delete can never reach into the host.
 */
async function removeTree(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) await run("umount", ["-l", point], 30_000).catch(() => {});
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`not removing ${dir}: still mounted: ${left.join(", ")}`);
  await rm(dir, { recursive: true, force: true });
}

/** Runs a command with a time limit; on timeout its process group gets SIGTERM, then SIGKILL. */
function run(command: string, args: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout also stops the dpkg and chroot children debootstrap runs.
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    // debootstrap says what failed on stdout and stderr alike: keep the tail of both.
    let output = "";
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let timedOut = false;
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      // SIGTERM first so debootstrap's exit trap unmounts what it mounted.
      kill("SIGTERM");
      setTimeout(() => kill("SIGKILL"), 10_000).unref();
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        const why = timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : `exit ${code ?? signal}`;
        reject(new Error(`${command} ${args.join(" ")}: ${why}\n${output.trim()}`));
      }
    });
  });
}

/** Runs a command and returns its stdout (at most 64 MiB). */
function capture(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      size += d.length;
      if (size > 64 * 1024 * 1024) child.kill();
      else chunks.push(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(chunks).toString("utf8"));
      else reject(new Error(`${command} ${args.join(" ")}: exit ${code}\n${stderr.trim()}`));
    });
  });
}

function commandWorks(command: string, args: readonly string[]): Promise<boolean> {
  return capture(command, args).then(
    () => true,
    () => false,
  );
}
