// Tests of the runner and scanImage on a real image built from a small synthetic tree: one walk,
// exact needs through symlinks, shared files read once, per-plugin bytes, budgets and caps,
// isolation of failing plugins, range reads, ctx.image accounting, progress and abort.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildImage, readDirectory } from "@rafscan/builder";
import { FileBlobSource, type Image, openImage } from "@rafscan/vfs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { builtinAnalyzers } from "../src/builtin.js";
import { compileNeeds } from "../src/needs.js";
import type { AnalyzerPlugin, MatchedFile } from "../src/plugin.js";
import { type RunProgress, runAnalyzers } from "../src/runner.js";
import { scanImage } from "../src/scan.js";

const OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n';
const STATUS = [
  "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\n",
  "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n",
  "Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1\n",
  "Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2024a-0+deb12u1\n",
].join("\n");
const APK_DB =
  "P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\n\nP:libcrypto3\nV:3.3.1-r0\nA:x86_64\no:openssl\n";

/** path → content; a `-> target` string makes a symlink. */
const TREE: Record<string, string | Uint8Array> = {
  "etc/os-release": "-> ../usr/lib/os-release",
  "usr/lib/os-release": OS_RELEASE,
  "var/lib/dpkg/status": STATUS,
  "var/lib/dpkg/status.d/distroless-pkg": "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n",
  "var/lib/dpkg/status.d/distroless-pkg.md5sums": "0123  etc/issue\n",
  "var/lib/dpkg/info/bash:amd64.list": "/.\n/bin\n/bin/bash\n",
  "lib/apk/db/installed": APK_DB,
  "data/a.txt": "a".repeat(1000),
  "data/b.txt": "b".repeat(2000),
  "data/c.txt": "c".repeat(3000),
  "data/sub/d.txt": "d".repeat(500),
  "data/big.bin": new Uint8Array(300_000).map((_, i) => i % 251),
  "data/link.txt": "-> a.txt",
};
const size = (p: string) => {
  const v = TREE[p];
  return typeof v === "string" ? Buffer.byteLength(v) : (v?.length ?? 0);
};

/** Directories the walk meets: the root and every parent of a TREE path. */
const DIRS = new Set<string>(["/"]);
for (const p of Object.keys(TREE)) {
  const parts = p.split("/");
  for (let i = 1; i < parts.length; i++) DIRS.add(parts.slice(0, i).join("/"));
}

let work: string;
let out: string;
const opened: Image[] = [];

async function open(): Promise<Image> {
  const image = await openImage({
    bootstrap: join(out, "bootstrap"),
    blobs: (blob) => new FileBlobSource(join(out, "blobs", blob.id)),
  });
  opened.push(image);
  return image;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((i) => i.close()));
});

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "rafscan-runner-"));
  const root = join(work, "root");
  out = join(work, "out");
  for (const [path, content] of Object.entries(TREE)) {
    const abs = join(root, path);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof content === "string" && content.startsWith("-> ")) symlinkSync(content.slice(3), abs);
    else writeFileSync(abs, content);
  }
  await buildImage([readDirectory(root)], { outDir: out, chunkSize: 0x10000 });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A plugin that records its files and returns nothing. */
function recorder(id: string, extra: Partial<AnalyzerPlugin> & { needs: AnalyzerPlugin["needs"] }) {
  const seen: { path: string; bytes: number }[] = [];
  const plugin: AnalyzerPlugin = {
    id,
    version: "0",
    async analyze(files: readonly MatchedFile[]) {
      for (const f of files) seen.push({ path: f.path, bytes: (await f.bytes()).length });
      return {};
    },
    ...extra,
  };
  return { plugin, seen };
}

describe("runAnalyzers with the built-in analyzers", () => {
  it("finds the OS through a symlink and the dpkg and apk packages", async () => {
    const image = await open();
    const walk = vi.spyOn(image, "walkSync");
    const r = await runAnalyzers(image, builtinAnalyzers());
    expect(walk).toHaveBeenCalledTimes(1);
    expect(r.warnings).toEqual([]);
    expect(r.os).toEqual({
      family: "debian",
      version: "12",
      name: "Debian GNU/Linux",
      prettyName: "Debian GNU/Linux 12 (bookworm)",
      source: "/etc/os-release",
    });
    expect(r.packages.map((p) => `${p.foundBy}:${p.name}@${p.version}`)).toEqual([
      "dpkg:libc6@2.36-9+deb12u4",
      "dpkg:bash@5.2.15-2+b2",
      "dpkg:tzdata@2024a-0+deb12u1",
      "dpkg:base-files@12.4+deb12u5",
      "apk:musl@1.2.5-r0",
      "apk:libcrypto3@3.3.1-r0",
    ]);
    expect(r.packages[0]?.purl).toBe(
      "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12&upstream=glibc",
    );
    const byId = Object.fromEntries(r.analyzers.map((a) => [a.id, a]));
    // Both os-release names resolve to one file: matched twice, read once for the scan.
    expect(byId.os).toMatchObject({
      filesMatched: 2,
      filesRead: 2,
      bytesRead: 2 * size("usr/lib/os-release"),
    });
    expect(byId.dpkg).toMatchObject({
      filesMatched: 2,
      filesRead: 2,
      bytesRead: size("var/lib/dpkg/status") + size("var/lib/dpkg/status.d/distroless-pkg"),
      packages: 4,
      skipped: [],
    });
    expect(byId.apk).toMatchObject({ filesMatched: 1, bytesRead: size("lib/apk/db/installed"), packages: 2 });
    expect(r.fileBytesRead).toBe(
      size("usr/lib/os-release") +
        size("var/lib/dpkg/status") +
        size("var/lib/dpkg/status.d/distroless-pkg") +
        size("lib/apk/db/installed"),
    );
    expect(r.entriesWalked).toBe(Object.keys(TREE).length + DIRS.size);
  });

  it("counts what a plugin reads through ctx.image (dpkg files on request)", async () => {
    const image = await open();
    const plain = await runAnalyzers(image, builtinAnalyzers());
    const withFiles = await runAnalyzers(image, builtinAnalyzers(), {
      pluginOptions: { dpkg: { files: true } },
    });
    const bash = withFiles.packages.find((p) => p.name === "bash");
    expect(bash?.files).toEqual(["/bin", "/bin/bash"]);
    const dpkg = (r: typeof plain) => r.analyzers.find((a) => a.id === "dpkg");
    expect(dpkg(withFiles)?.bytesRead).toBe(
      (dpkg(plain)?.bytesRead ?? 0) + size("var/lib/dpkg/info/bash:amd64.list"),
    );
    expect(dpkg(withFiles)?.filesRead).toBe(3);
    expect(withFiles.fileBytesRead - plain.fileBytesRead).toBe(size("var/lib/dpkg/info/bash:amd64.list"));
  });
});

describe("runAnalyzers: matching, budgets and isolation", () => {
  it("matches globs and predicates in one walk and reads a file shared by plugins once", async () => {
    const image = await open();
    const walk = vi.spyOn(image, "walkSync");
    const readFile = vi.spyOn(image, "readFile");
    const txt = recorder("txt", { needs: ["data/**/*.txt"] });
    const alsoA = recorder("also-a", { needs: ["/data/a.txt", (e) => e.path === "/data/c.txt"] });
    const r = await runAnalyzers(image, [txt.plugin, alsoA.plugin]);
    expect(walk).toHaveBeenCalledTimes(1);
    // The glob matches regular files only: data/link.txt is a symlink.
    expect(txt.seen.map((s) => s.path)).toEqual([
      "/data/a.txt",
      "/data/b.txt",
      "/data/c.txt",
      "/data/sub/d.txt",
    ]);
    expect(alsoA.seen.map((s) => s.path)).toEqual(["/data/a.txt", "/data/c.txt"]);
    expect(readFile.mock.calls.map((c) => c[0]).sort()).toEqual([
      "/data/a.txt",
      "/data/b.txt",
      "/data/c.txt",
      "/data/sub/d.txt",
    ]);
    const [t, a] = r.analyzers;
    expect(t).toMatchObject({ filesMatched: 4, filesRead: 4, bytesRead: 6500 });
    expect(a).toMatchObject({ filesMatched: 2, filesRead: 2, bytesRead: 4000 });
    expect(r.fileBytesRead).toBe(6500);
  });

  it("skips files over maxFileSize, the plugin budget and maxTotalBytes, with reasons", async () => {
    const image = await open();
    const big = recorder("big", { needs: ["/data/*.bin", "/data/a.txt"], maxFileSize: 100_000 });
    const budgeted = recorder("budgeted", { needs: ["/data/*.txt", "/data/sub/*.txt"], budget: 3500 });
    const r = await runAnalyzers(image, [big.plugin, budgeted.plugin]);
    expect(big.seen).toEqual([{ path: "/data/a.txt", bytes: 1000 }]);
    expect(r.analyzers[0]).toMatchObject({
      filesMatched: 2,
      filesRead: 1,
      bytesRead: 1000,
      skipped: [{ path: "/data/big.bin", reason: "larger than maxFileSize (300000 bytes)" }],
    });
    // a (1000) + b (2000) fit in 3500; c (3000) does not; d (500) still does.
    expect(budgeted.seen.map((s) => s.path)).toEqual(["/data/a.txt", "/data/b.txt", "/data/sub/d.txt"]);
    expect(r.analyzers[1]).toMatchObject({
      bytesRead: 3500,
      skipped: [{ path: "/data/c.txt", reason: "budget spent (3500 bytes)" }],
    });

    const capped = recorder("capped", { needs: ["/data/*.txt"] });
    const r2 = await runAnalyzers(await open(), [capped.plugin], { maxTotalBytes: 2500 });
    expect(capped.seen.map((s) => s.path)).toEqual(["/data/a.txt"]);
    expect(r2.analyzers[0]?.skipped.map((s) => s.reason)).toEqual([
      "maxTotalBytes spent (2500 bytes)",
      "maxTotalBytes spent (2500 bytes)",
    ]);
    expect(r2.fileBytesRead).toBe(1000);
  });

  it("isolates a plugin that throws, returns garbage, has bad needs or a throwing predicate", async () => {
    const image = await open();
    const good = recorder("good", { needs: ["/data/a.txt"] });
    const plugins: AnalyzerPlugin[] = [
      {
        id: "thrower",
        version: "1",
        needs: ["/data/a.txt"],
        analyze: () => Promise.reject(new Error("boom")),
      },
      { id: "garbage", version: "1", needs: ["/data/a.txt"], analyze: () => 42 as never },
      { id: "bad-needs", version: "1", needs: [7 as never], analyze: () => ({}) },
      {
        id: "bad-predicate",
        version: "1",
        needs: [
          () => {
            throw new Error("predicate boom");
          },
        ],
        analyze: () => ({}),
      },
      {
        id: "half-garbage",
        version: "1",
        needs: [],
        analyze: () => ({
          packages: [
            { name: "ok", version: "1", ecosystem: "npm", purl: "pkg:npm/ok@1", source: "/x" },
            { name: 3 },
          ],
          notes: ["a note", 5],
        }),
      },
      good.plugin,
    ];
    const r = await runAnalyzers(image, plugins);
    const byId = Object.fromEntries(r.analyzers.map((a) => [a.id, a]));
    expect(byId.thrower?.error).toBe("boom");
    expect(byId.garbage?.error).toBe("analyze returned number, not findings");
    expect(byId["bad-needs"]?.error).toMatch(/a need must be/);
    expect(byId["bad-predicate"]?.error).toBe("a need predicate threw: predicate boom");
    expect(byId["half-garbage"]?.error).toBeUndefined();
    expect(r.packages.map((p) => [p.name, p.foundBy])).toEqual([["ok", "half-garbage"]]);
    expect(r.notes).toEqual(["a note"]);
    expect(good.seen).toEqual([{ path: "/data/a.txt", bytes: 1000 }]);
    expect(r.warnings.map((w) => `${w.plugin}: ${w.message}`)).toEqual([
      "bad-needs: analyzer not run: a need must be a path, a glob or a predicate, not number",
      "bad-predicate: analyzer not run: a need predicate threw: predicate boom",
      "thrower: analyzer failed: boom",
      "garbage: analyzer failed: analyze returned number, not findings",
      "half-garbage: dropped 1 malformed packages",
    ]);
  });

  it("lets range plugins read parts of files over maxFileSize, counting only what they read", async () => {
    const image = await open();
    const readFile = vi.spyOn(image, "readFile");
    let head: Uint8Array | undefined;
    let bytesError: unknown;
    const plugin: AnalyzerPlugin = {
      id: "ranger",
      version: "1",
      access: "range",
      maxFileSize: 1000,
      needs: ["/data/big.bin"],
      async analyze(files) {
        const f = files[0] as MatchedFile;
        head = await f.read(299_990, 100);
        await f.bytes().catch((err: unknown) => {
          bytesError = err;
        });
        return {};
      },
    };
    const r = await runAnalyzers(image, [plugin]);
    expect(readFile).not.toHaveBeenCalled();
    expect([...(head ?? [])]).toEqual(Array.from({ length: 10 }, (_, i) => (299_990 + i) % 251));
    expect(String(bytesError)).toMatch(/larger than maxFileSize/);
    expect(r.analyzers[0]).toMatchObject({ filesMatched: 1, filesRead: 1, bytesRead: 10 });
    expect(r.fileBytesRead).toBe(10);
  });

  it("reads at most `concurrency` files at once and reports progress", async () => {
    const image = await open();
    const original = image.readFile.bind(image);
    let inFlight = 0;
    let peak = 0;
    vi.spyOn(image, "readFile").mockImplementation((async (path: string, options?: object) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      try {
        return await original(path, options);
      } finally {
        inFlight--;
      }
    }) as never);
    const events: RunProgress[] = [];
    const all = recorder("all", { needs: ["/**"], maxFileSize: 10_000 });
    await runAnalyzers(image, [all.plugin], { concurrency: 2, onProgress: (e) => events.push(e) });
    expect(peak).toBe(2);
    const reads = events.filter((e) => e.phase === "read");
    expect(reads.at(-1)).toEqual({ phase: "read", done: all.seen.length, total: all.seen.length });
    expect(events.some((e) => e.phase === "walk")).toBe(true);
    expect(events.filter((e) => e.phase === "analyze")).toEqual([
      { phase: "analyze", done: 0, total: 1, plugin: "all" },
      { phase: "analyze", done: 1, total: 1 },
    ]);
  });

  it("aborts before starting and in the middle of the reads", async () => {
    const image = await open();
    const ac = new AbortController();
    ac.abort(new Error("stop now"));
    await expect(runAnalyzers(image, builtinAnalyzers(), { signal: ac.signal })).rejects.toThrow("stop now");

    const mid = new AbortController();
    const analyze = vi.fn(() => ({}));
    const plugin: AnalyzerPlugin = { id: "p", version: "1", needs: ["/data/**"], analyze };
    const run = runAnalyzers(image, [plugin], {
      signal: mid.signal,
      concurrency: 1,
      onProgress: (e) => {
        if (e.phase === "read" && e.done === 1) mid.abort(new Error("aborted mid-read"));
      },
    });
    await expect(run).rejects.toThrow("aborted mid-read");
    expect(analyze).not.toHaveBeenCalled();
  });
});

describe("runAnalyzers: unreadable files", () => {
  it("skips files whose chunks cannot be read, with the reason, and still runs the plugin", async () => {
    const image = await openImage({
      bootstrap: join(out, "bootstrap"),
      blobs: () => ({
        read: () => Promise.reject(new Error("disk on fire")),
      }),
    });
    opened.push(image);
    const r = await runAnalyzers(image, builtinAnalyzers());
    const dpkg = r.analyzers.find((a) => a.id === "dpkg");
    expect(dpkg?.error).toBeUndefined();
    expect(dpkg?.filesRead).toBe(0);
    expect(dpkg?.bytesRead).toBe(0);
    expect(dpkg?.skipped.map((s) => s.path).sort()).toEqual([
      "/var/lib/dpkg/status",
      "/var/lib/dpkg/status.d/distroless-pkg",
    ]);
    expect(dpkg?.skipped[0]?.reason).toMatch(/^unreadable: .*disk on fire/);
    expect(r.packages).toEqual([]);
    expect(r.fileBytesRead).toBe(0);
    expect(r.warnings.filter((w) => w.plugin === "scan").length).toBe(4);
  });
});

describe("compileNeeds", () => {
  const entry = (path: string) => ({ path, size: 1, mode: 0o100644 });

  it("splits exact paths from globs and makes both absolute", () => {
    const n = compileNeeds(["etc/os-release", "//usr//lib/os-release/", "usr/**/*.py", ""]);
    expect(n.exact).toEqual(["/etc/os-release", "/usr/lib/os-release"]);
    expect(n.walks).toBe(true);
    expect(n.matches(entry("/usr/lib/python3/.hidden/x.py"))).toBe(true);
    expect(n.matches(entry("/opt/usr/x.py"))).toBe(false);
    expect(n.matches(entry("/etc/os-release"))).toBe(false);
    expect(compileNeeds(["/a/b"]).walks).toBe(false);
  });

  it("treats *, ?, [ and { as glob characters", () => {
    const n = compileNeeds(["/a/file?.txt", "/b/[xy].txt", "/c/{one,two}"]);
    expect(n.exact).toEqual([]);
    for (const p of ["/a/file1.txt", "/b/x.txt", "/c/two"]) expect(n.matches(entry(p))).toBe(true);
    expect(n.matches(entry("/b/z.txt"))).toBe(false);
  });

  it("rejects needs that are neither strings nor functions", () => {
    expect(() => compileNeeds([null as never])).toThrow(TypeError);
    expect(() => compileNeeds("oops" as never)).toThrow("needs is not an array");
  });
});

describe("scanImage", () => {
  it("fills the report: image, findings, analyzers and telemetry", async () => {
    const image = await open();
    const report = await scanImage(image, { name: "test:latest", imageBytes: 12345, digest: "sha256:abc" });
    expect(report.schemaVersion).toBe(1);
    expect(report.image).toEqual({ name: "test:latest", digest: "sha256:abc", format: "rafs-v6" });
    expect(report.os?.family).toBe("debian");
    expect(report.packages).toHaveLength(6);
    expect(report.analyzers.map((a) => a.id)).toEqual(builtinAnalyzers().map((p) => p.id));
    const t = report.telemetry;
    expect(t.imageBytes).toBe(12345);
    expect(t.bytesFetched).toBe(image.stats.blobBytesRead + image.stats.metadataBytes);
    expect(t.bytesFetched).toBeGreaterThan(0);
    expect(t.requests).toBe(image.stats.blobReads);
    expect(t.fileBytesRead).toBeGreaterThan(0);
    expect(t.entriesWalked).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(report.createdAt))).toBe(false);
    expect(JSON.parse(JSON.stringify(report))).toMatchObject({ image: report.image });
  });

  it("lets a registry layer override wire-level telemetry", async () => {
    const report = await scanImage(await open(), {
      analyzers: [],
      telemetry: () => ({ bytesFetched: 42, requests: 3, networkMs: 7 }),
    });
    expect(report.telemetry).toMatchObject({
      bytesFetched: 42,
      requests: 3,
      networkMs: 7,
      imageBytes: undefined,
    });
    expect(report.image.name).toBe("image");
    expect(report.packages).toEqual([]);
  });
});
