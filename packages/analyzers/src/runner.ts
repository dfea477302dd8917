// The analyzer runner: walks the image once, matches every plugin's needs, reads the matched files of
// a stage in one bounded-concurrency batch (so a remote blob source can coalesce), runs the `os`
// stage before the `packages` stage, and isolates each plugin's failures and bad output.
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { type Image, isFsError } from "@rafscan/vfs";
import type { Findings, OsInfo, Package, PackageOwner, Secret } from "./findings.js";
import {
  countingImage,
  DEFAULT_MAX_FILE_SIZE,
  type FileMatch,
  lazyFile,
  PluginAccount,
  prefetchedFile,
  ScanBudget,
} from "./matched-file.js";
import { type CompiledNeeds, compileNeeds } from "./needs.js";
import type { AnalyzerContext, AnalyzerPlugin, MatchedFile } from "./plugin.js";
import type { AnalyzerReport, IncompleteFile, ScanReport, ScanWarning } from "./report.js";

/** Default number of files read at once: enough to keep a remote source's pipeline full. */
export const DEFAULT_CONCURRENCY = 16;
/** Warnings kept per plugin; beyond this one summary line says how many were dropped. */
export const MAX_WARNINGS_PER_PLUGIN = 100;

/** A progress report; `done` and `total` count entries (walk), files (read) or plugins (analyze). */
export interface RunProgress {
  readonly phase: "walk" | "read" | "analyze";
  readonly done: number;
  /** For `walk`, the superblock's inode count: an estimate (hardlinks, old v5 images). */
  readonly total: number;
  /** The plugin about to run (`analyze`). */
  readonly plugin?: string;
}

/** Options of {@link runAnalyzers}. */
export interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  /** Files read at once within a stage's batch. Default {@link DEFAULT_CONCURRENCY}. */
  readonly concurrency?: number | undefined;
  /** File bytes all plugins together may read (a file shared by plugins counts once). Default no limit. */
  readonly maxTotalBytes?: number | undefined;
  /** Options per plugin id, handed to that plugin as `ctx.options`. Default none. */
  readonly pluginOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined;
  /** Called as the walk, the reads and the analyzers progress (for a progress bar). */
  readonly onProgress?: ((event: RunProgress) => void) | undefined;
}

/** What {@link runAnalyzers} found. */
export interface RunResult
  extends Pick<ScanReport, "os" | "packages" | "secrets" | "notes" | "warnings" | "analyzers"> {
  readonly entriesWalked: number;
  /** Every file a plugin wanted but did not read; `required` for package database files. */
  readonly incomplete: readonly IncompleteFile[];
  /** Unique file bytes read for plugins (a file read for two plugins counts once). */
  readonly fileBytesRead: number;
}

/** The runner's state for one plugin. */
interface Slot {
  readonly plugin: AnalyzerPlugin;
  readonly id: string;
  readonly version: string;
  readonly stage: "os" | "packages";
  readonly access: "whole" | "range";
  readonly database: boolean;
  readonly needs: CompiledNeeds | undefined;
  readonly account: PluginAccount;
  /** Matched path → file; insertion order is exact needs first, then walk order. */
  readonly matched: Map<string, FileMatch>;
  error: string | undefined;
  findings: Findings;
  durationMs: number;
  warnings: number;
}

/**
 * Runs `plugins` over `image`. The tree is walked once (only when some plugin has a glob or a
 * predicate); exact needs are resolved with `stat`, following symlinks. `access: "whole"` plugins
 * receive only the files that were read (the others are in their report's `skipped`); `access:
 * "range"` plugins receive every matched file and read what they want, within their budget.
 * A plugin that throws or returns malformed findings gets `error` in its report and a warning; the
 * others go on. Rejects only when `options.signal` aborts.
 */
export async function runAnalyzers(
  image: Image,
  plugins: readonly AnalyzerPlugin[],
  options: RunOptions = {},
): Promise<RunResult> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
  const budget = new ScanBudget(options.maxTotalBytes ?? Number.POSITIVE_INFINITY);
  const warnings: ScanWarning[] = [];
  const slots = plugins.map((plugin, index) => makeSlot(plugin, index, budget));
  const warn = (slot: Slot | undefined, message: string, path?: string) => {
    if (slot !== undefined && ++slot.warnings > MAX_WARNINGS_PER_PLUGIN) return;
    const w: ScanWarning = { plugin: slot?.id ?? "scan", message };
    warnings.push(path === undefined ? w : { ...w, path });
  };
  for (const slot of slots) if (slot.error !== undefined) warn(slot, `analyzer not run: ${slot.error}`);

  await resolveExactNeeds(image, slots, (message, path) => warn(undefined, message, path));
  const entriesWalked = await walkOnce(image, slots, options, warn);

  let os: OsInfo | undefined;
  for (const stage of ["os", "packages"] as const) {
    const stageSlots = slots.filter((s) => s.stage === stage && s.error === undefined);
    const prefetched = await prefetch(image, stageSlots, budget, concurrency, options, (message, path) =>
      warn(undefined, message, path),
    );
    for (const [i, slot] of stageSlots.entries()) {
      signal?.throwIfAborted();
      onProgress?.({ phase: "analyze", done: i, total: stageSlots.length, plugin: slot.id });
      await analyzeOne(image, slot, prefetched, os, options, warn);
      if (stage === "os" && os === undefined) os = slot.findings.os;
    }
    if (stageSlots.length > 0)
      onProgress?.({ phase: "analyze", done: stageSlots.length, total: stageSlots.length });
  }
  await linkOwners(image, slots, os, options, warn);
  for (const slot of slots) {
    if (slot.warnings > MAX_WARNINGS_PER_PLUGIN) {
      warnings.push({
        plugin: slot.id,
        message: `${slot.warnings - MAX_WARNINGS_PER_PLUGIN} more warnings not shown`,
      });
    }
  }

  return {
    os,
    packages: slots.flatMap((s) => (s.findings.packages ?? []).map((p) => ({ ...p, foundBy: s.id }))),
    secrets: slots.flatMap((s) => s.findings.secrets ?? []),
    notes: slots.flatMap((s) => s.findings.notes ?? []),
    warnings,
    analyzers: slots.map(report),
    incomplete: slots.flatMap((s) => {
      const skipped = [...s.account.skipped].map(([path, reason]) => ({
        plugin: s.id,
        path,
        reason,
        required: s.database,
      }));
      // A database analyzer that failed read its files but made nothing of them: as incomplete as
      // one that could not read them.
      if (!s.database || s.error === undefined) return skipped;
      const failed = [...s.matched.keys()]
        .filter((path) => !s.account.skipped.has(path))
        .map((path) => ({ plugin: s.id, path, reason: `analyzer failed: ${s.error}`, required: true }));
      return [...skipped, ...failed];
    }),
    entriesWalked,
    fileBytesRead: budget.bytesRead,
  };
}

function makeSlot(plugin: AnalyzerPlugin, index: number, budget: ScanBudget): Slot {
  const p = (typeof plugin === "object" && plugin !== null ? plugin : {}) as Partial<AnalyzerPlugin>;
  const id = typeof p.id === "string" && p.id !== "" ? p.id : `plugin-${index}`;
  let needs: CompiledNeeds | undefined;
  let error: string | undefined;
  try {
    if (typeof p.analyze !== "function") throw new TypeError("analyze is not a function");
    needs = compileNeeds(p.needs ?? []);
  } catch (err) {
    error = message(err);
  }
  const size = (v: unknown, fallback: number) =>
    typeof v === "number" && v >= 0 && !Number.isNaN(v) ? v : fallback;
  return {
    plugin,
    id,
    version: typeof p.version === "string" ? p.version : "",
    stage: p.stage === "os" ? "os" : "packages",
    access: p.access === "range" ? "range" : "whole",
    database: p.database === true,
    needs,
    account: new PluginAccount(
      budget,
      size(p.maxFileSize, DEFAULT_MAX_FILE_SIZE),
      size(p.budget, Number.POSITIVE_INFINITY),
    ),
    matched: new Map(),
    error,
    findings: {},
    durationMs: 0,
    warnings: 0,
  };
}

/** Stats every exact need once (it may be a symlink); a missing path is simply not matched. */
async function resolveExactNeeds(
  image: Image,
  slots: readonly Slot[],
  warn: (message: string, path?: string) => void,
): Promise<void> {
  const resolved = new Map<string, Promise<Omit<FileMatch, "path"> | undefined>>();
  const resolve = async (path: string): Promise<Omit<FileMatch, "path"> | undefined> => {
    try {
      const st = await image.stat(path);
      if (st.type !== "file") return undefined;
      return { realPath: await image.realpath(path), size: st.size, mode: st.mode };
    } catch (err) {
      // ENOENT, ENOTDIR: the file is not there. ELOOP and corrupt metadata are worth a warning.
      if (!isFsError(err, "ENOENT") && !isFsError(err, "ENOTDIR"))
        warn(`cannot resolve: ${message(err)}`, path);
      return undefined;
    }
  };
  for (const slot of slots) {
    if (slot.needs === undefined) continue;
    for (const path of slot.needs.exact) {
      let r = resolved.get(path);
      if (r === undefined) {
        r = resolve(path);
        resolved.set(path, r);
      }
      const file = await r;
      if (file !== undefined) slot.matched.set(path, { path, ...file });
    }
  }
}

/** The single walk: matches globs and predicates of every plugin against each regular file. */
async function walkOnce(
  image: Image,
  slots: readonly Slot[],
  options: RunOptions,
  warn: (slot: Slot | undefined, message: string) => void,
): Promise<number> {
  const walkers = slots.filter((s) => s.error === undefined && s.needs?.walks === true);
  if (walkers.length === 0) return 0;
  const { signal, onProgress } = options;
  const total = image.info.inodeCount;
  let walked = 0;
  try {
    for (const entry of image.walkSync("/", { signal })) {
      walked++;
      if ((walked & 0xfff) === 0) {
        // The walk is synchronous; yielding now and then lets an abort or a progress bar through.
        onProgress?.({ phase: "walk", done: walked, total: Math.max(total, walked) });
        await yieldToEventLoop();
        signal?.throwIfAborted();
      }
      if (entry.stats.type !== "file") continue;
      const e = { path: entry.path, size: entry.stats.size, mode: entry.stats.mode };
      for (const slot of walkers) {
        if (slot.error !== undefined || slot.matched.has(e.path)) continue;
        try {
          if (slot.needs?.matches(e)) slot.matched.set(e.path, { ...e, realPath: e.path });
        } catch (err) {
          slot.error = `a need predicate threw: ${message(err)}`;
          warn(slot, `analyzer not run: ${slot.error}`);
        }
      }
    }
  } catch (err) {
    signal?.throwIfAborted();
    // Corrupt metadata (a cycle, a bad directory) ends the walk; what was matched so far is scanned.
    warn(undefined, `walk stopped after ${walked} entries: ${message(err)}`);
  }
  onProgress?.({ phase: "walk", done: walked, total: walked });
  return walked;
}

/** Bytes read for a stage, by real path; `Error` when the read failed. */
type Prefetched = Map<string, Uint8Array | Error>;

/** Reads every file the stage's `whole` plugins may read, each once, `concurrency` at a time. */
async function prefetch(
  image: Image,
  slots: readonly Slot[],
  budget: ScanBudget,
  concurrency: number,
  options: RunOptions,
  warn: (message: string, path?: string) => void,
): Promise<Prefetched> {
  const plan = new Map<string, { size: number; users: { slot: Slot; path: string }[] }>();
  for (const slot of slots) {
    if (slot.access !== "whole") continue;
    for (const m of slot.matched.values()) {
      let why = slot.account.reserve(m.size, { whole: true, scanWide: false });
      let entry = plan.get(m.realPath);
      if (why === undefined && entry === undefined) {
        why = budget.reserve(m.size);
        if (why === undefined) {
          entry = { size: m.size, users: [] };
          plan.set(m.realPath, entry);
        } else {
          slot.account.settle(m.path, m.size, 0, false);
        }
      }
      if (why !== undefined) slot.account.skip(m.path, why);
      else entry?.users.push({ slot, path: m.path });
    }
  }
  const out: Prefetched = new Map();
  const jobs = [...plan.entries()];
  let done = 0;
  await mapLimit(jobs, concurrency, async ([realPath, { size, users }]) => {
    let data: Uint8Array | Error;
    try {
      data = await image.readFile(realPath, { signal: options.signal });
    } catch (err) {
      options.signal?.throwIfAborted();
      data = new Error(`unreadable: ${message(err)}`);
      warn(data.message, realPath);
    }
    const read = data instanceof Error ? 0 : data.length;
    budget.settle(size, read);
    for (const u of users) u.slot.account.settle(u.path, size, read, false);
    out.set(realPath, data);
    options.onProgress?.({ phase: "read", done: ++done, total: jobs.length });
  });
  return out;
}

/** Runs one plugin's `analyze` on its files; records its findings, error and time in the slot. */
async function analyzeOne(
  image: Image,
  slot: Slot,
  prefetched: Prefetched,
  os: OsInfo | undefined,
  options: RunOptions,
  warn: (slot: Slot, message: string, path?: string) => void,
): Promise<void> {
  const files: MatchedFile[] = [];
  for (const m of slot.matched.values()) {
    if (slot.access === "range") {
      files.push(lazyFile(m, image, slot.account, options.signal));
      continue;
    }
    if (slot.account.skipped.has(m.path)) continue;
    const data = prefetched.get(m.realPath);
    if (data === undefined) continue;
    if (data instanceof Error) slot.account.skip(m.path, data.message);
    else files.push(prefetchedFile(m, data));
  }
  const ctx = pluginContext(image, slot, os, options, warn);
  const start = performance.now();
  try {
    const raw: unknown = await slot.plugin.analyze(files, ctx);
    slot.findings = checkFindings(raw, (msg) => warn(slot, msg));
  } catch (err) {
    options.signal?.throwIfAborted();
    slot.error = message(err);
    warn(slot, `analyzer failed: ${slot.error}`);
  } finally {
    slot.durationMs = performance.now() - start;
  }
}

/** The context one plugin's `analyze` and `owners` calls get: its own counted view of the image. */
function pluginContext(
  image: Image,
  slot: Slot,
  os: OsInfo | undefined,
  options: RunOptions,
  warn: (slot: Slot, message: string, path?: string) => void,
): AnalyzerContext {
  return {
    image: countingImage(image, slot.account),
    os,
    options: options.pluginOptions?.[slot.id] ?? {},
    signal: options.signal,
    warn: (msg, path) => warn(slot, String(msg), typeof path === "string" ? path : undefined),
  };
}

const OS_ECOSYSTEMS = new Set(["deb", "rpm", "apk"]);

/**
 * Asks each plugin with an `owners` hook (dpkg, rpm) which language packages its packages installed,
 * and sets `installedBy` on those. The hook's reads go to that plugin's account, like `analyze`'s.
 */
async function linkOwners(
  image: Image,
  slots: readonly Slot[],
  os: OsInfo | undefined,
  options: RunOptions,
  warn: (slot: Slot, message: string, path?: string) => void,
): Promise<void> {
  const linkers = slots.filter(
    (s) =>
      s.error === undefined &&
      typeof s.plugin.owners === "function" &&
      (s.findings.packages?.length ?? 0) > 0,
  );
  if (linkers.length === 0) return;
  const paths = new Set<string>();
  for (const s of slots)
    for (const p of s.findings.packages ?? []) if (!OS_ECOSYSTEMS.has(p.ecosystem)) paths.add(p.source);
  if (paths.size === 0) return;
  const owners = new Map<string, PackageOwner>();
  for (const slot of linkers) {
    const ctx = pluginContext(image, slot, os, options, warn);
    const start = performance.now();
    try {
      const found = await slot.plugin.owners?.([...paths].sort(), slot.findings.packages ?? [], ctx);
      for (const [path, owner] of found ?? []) {
        const checked = checkOwner(owner);
        if (paths.has(path) && checked !== undefined && !owners.has(path)) owners.set(path, checked);
      }
    } catch (err) {
      options.signal?.throwIfAborted();
      // Ownership is extra: its failure leaves the packages as they were.
      warn(slot, `cannot tell which language packages it installed: ${message(err)}`);
    } finally {
      slot.durationMs += performance.now() - start;
    }
  }
  if (owners.size === 0) return;
  for (const s of slots) {
    const packages = s.findings.packages;
    if (packages === undefined || packages.every((p) => !owners.has(p.source))) continue;
    s.findings = {
      ...s.findings,
      packages: packages.map((p) => {
        const owner = OS_ECOSYSTEMS.has(p.ecosystem) ? undefined : owners.get(p.source);
        return owner === undefined ? p : { ...p, installedBy: owner };
      }),
    };
  }
}

function report(slot: Slot): AnalyzerReport {
  const r: AnalyzerReport = {
    id: slot.id,
    version: slot.version,
    filesMatched: slot.matched.size,
    filesRead: slot.account.filesRead.size,
    bytesRead: slot.account.bytesRead,
    skipped: [...slot.account.skipped].map(([path, reason]) => ({ path, reason })),
    packages: slot.findings.packages?.length ?? 0,
    secrets: slot.findings.secrets?.length ?? 0,
    durationMs: Math.round(slot.durationMs * 1000) / 1000,
  };
  return slot.error === undefined ? r : { ...r, error: slot.error };
}

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first failure. */
async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// --- Checking what a plugin returned: it is code we did not write, fed with untrusted input. ---

const SEVERITIES = new Set(["CRITICAL", "HIGH", "MEDIUM", "LOW"]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const isString = (v: unknown): v is string => typeof v === "string";
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;

/**
 * Rebuilds `raw` as Findings from the fields the report knows, dropping malformed items (with a
 * warning). Throws when `raw` is not findings at all, which fails the plugin.
 */
function checkFindings(raw: unknown, warn: (message: string) => void): Findings {
  if (!isObject(raw))
    throw new TypeError(`analyze returned ${raw === null ? "null" : typeof raw}, not findings`);
  for (const key of ["packages", "secrets", "notes"] as const) {
    if (raw[key] !== undefined && !Array.isArray(raw[key]))
      throw new TypeError(`findings.${key} is not an array`);
  }
  const out: { packages?: Package[]; os?: OsInfo; secrets?: Secret[]; notes?: string[] } = {};
  if (Array.isArray(raw.packages)) {
    const packages = raw.packages.map(checkPackage).filter((p) => p !== undefined);
    if (packages.length < raw.packages.length)
      warn(`dropped ${raw.packages.length - packages.length} malformed packages`);
    out.packages = packages;
  }
  if (raw.os !== undefined) {
    const os = checkOs(raw.os);
    if (os === undefined) warn("dropped a malformed os finding");
    else out.os = os;
  }
  if (Array.isArray(raw.secrets)) {
    const secrets = raw.secrets.map(checkSecret).filter((s) => s !== undefined);
    if (secrets.length < raw.secrets.length)
      warn(`dropped ${raw.secrets.length - secrets.length} malformed secrets`);
    out.secrets = secrets;
  }
  if (Array.isArray(raw.notes)) out.notes = strings(raw.notes) ?? [];
  return out;
}

function checkPackage(p: unknown): Package | undefined {
  if (!isObject(p)) return undefined;
  const { name, version, ecosystem, purl, source } = p;
  if (!isString(name) || name === "" || !isString(version) || !isString(ecosystem)) return undefined;
  if (!isString(purl) || !isString(source)) return undefined;
  const out: Record<string, unknown> = { name, version, ecosystem, purl, source };
  for (const key of ["arch", "sourceName", "sourceVersion", "modularityLabel"] as const)
    if (isString(p[key])) out[key] = p[key];
  for (const key of ["licenses", "files"] as const) {
    const list = strings(p[key]);
    if (list !== undefined) out[key] = list;
  }
  if (p.relationship === "root" || p.relationship === "workspace") out.relationship = p.relationship;
  const owner = checkOwner(p.installedBy);
  if (owner !== undefined) out.installedBy = owner;
  return out as unknown as Package;
}

const OWNER_MANAGERS = new Set(["dpkg", "rpm", "apk"]);

function checkOwner(o: unknown): PackageOwner | undefined {
  if (!isObject(o) || !isString(o.manager) || !OWNER_MANAGERS.has(o.manager) || !isString(o.name))
    return undefined;
  const out: Record<string, string> = { manager: o.manager, name: o.name };
  for (const key of ["version", "purl"] as const) if (isString(o[key])) out[key] = o[key];
  return out as unknown as PackageOwner;
}

function checkOs(o: unknown): OsInfo | undefined {
  if (!isObject(o) || !isString(o.family) || o.family === "" || !isString(o.version) || !isString(o.source))
    return undefined;
  const out: Record<string, string> = { family: o.family, version: o.version, source: o.source };
  for (const key of ["name", "prettyName", "codename"] as const) if (isString(o[key])) out[key] = o[key];
  return out as unknown as OsInfo;
}

function checkSecret(s: unknown): Secret | undefined {
  if (!isObject(s)) return undefined;
  const { ruleId, title, severity, path, line, match } = s;
  if (!isString(ruleId) || !isString(title) || !isString(path) || !isString(match)) return undefined;
  if (!isString(severity) || !SEVERITIES.has(severity) || !Number.isSafeInteger(line)) return undefined;
  return { ruleId, title, severity: severity as Secret["severity"], path, line: line as number, match };
}
