// Scans a real debootstrapped Debian bookworm (minbase + python3-* + node-*, see support/debian-rootfs.ts)
// built into a RAFS v6 image, and checks the findings against ground truth taken outside rafscan:
// dpkg-query on the host, and the Python and Node metadata found by listing the tree with node:fs.
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  dpkgPlugin,
  nodePlugin,
  osPlugin,
  pythonPlugin,
  type ScanReport,
  scanImage,
} from "@rafscan/analyzers";
import { type BuiltImage, buildImage, pushImage, readDirectory } from "@rafscan/builder";
import { hostPlatform, openImage } from "@rafscan/registry";
import type { Image } from "@rafscan/vfs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRegistry } from "../packages/registry/test/helpers/registry-server.js";
import { type DebianRootfs, debianRootfs, debianRootfsUnavailable } from "./support/debian-rootfs.js";
import { HAVE_REGISTRY } from "./support/remote-image.js";

// packageurl-js is a dependency of @rafscan/analyzers, not of this package: load it from there.
const fromAnalyzers = createRequire(createRequire(import.meta.url).resolve("@rafscan/analyzers"));
const { PackageURL } = fromAnalyzers("packageurl-js") as {
  PackageURL: { fromString(purl: string): { type: string; name: string; version?: string } };
};

const UNAVAILABLE = await debianRootfsUnavailable();
if (UNAVAILABLE !== undefined) console.warn(`[rafscan tests] Debian scan tests skipped: ${UNAVAILABLE}`);

/** PEP 503 normalisation: what makes `charset_normalizer` and `Charset-Normalizer` one name. */
function pep503(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The host path of an image path inside `root`, following symlinks as the image would (≤ 40 hops). */
function resolveInRoot(root: string, path: string): string | undefined {
  let parts = path.split("/").filter((p) => p !== "");
  let done: string[] = [];
  for (let hops = 0; parts.length > 0; ) {
    const name = parts.shift() as string;
    if (name === ".") continue;
    if (name === "..") {
      done.pop();
      continue;
    }
    const host = join(root, ...done, name);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(host);
    } catch {
      return undefined;
    }
    if (!st.isSymbolicLink()) {
      done.push(name);
      continue;
    }
    if (++hops > 40) return undefined;
    const target = readlinkSync(host);
    if (target.startsWith("/")) done = [];
    parts = [...target.split("/").filter((p) => p !== ""), ...parts];
  }
  return join(root, ...done);
}

/** Size of the regular file at image path `path`, or undefined when there is none. */
function fileSize(root: string, path: string): number | undefined {
  const host = resolveInRoot(root, path);
  if (host === undefined) return undefined;
  const st = lstatSync(host);
  return st.isFile() ? st.size : undefined;
}

/** The first `Key:` header of an RFC 822 metadata file (headers end at the first blank line). */
function header(text: string, key: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break;
    const m = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (m?.[1]?.toLowerCase() === key.toLowerCase()) return m[2]?.trim();
  }
  return undefined;
}

/** Python truth: one package per metadata directory (or egg-info file), from its name. */
function pythonTruth(deb: DebianRootfs): { packages: string[]; files: string[]; bytes: number } {
  const packages: string[] = [];
  const files: string[] = [];
  let bytes = 0;
  for (const path of deb.pythonMetadata) {
    const host = join(deb.root, path);
    const st = lstatSync(host);
    const dist = path.endsWith(".dist-info");
    const file = st.isFile()
      ? path
      : st.isDirectory()
        ? `${path}/${dist ? "METADATA" : "PKG-INFO"}`
        : undefined;
    const size = file === undefined ? undefined : fileSize(deb.root, file);
    if (file === undefined || size === undefined) continue;
    files.push(file);
    bytes += size;
    // `<name>-<version>[-pyX.Y].(dist|egg)-info`; names in file names never hold `-`.
    const stem = (path.split("/").pop() as string).replace(/\.(dist|egg)-info$/, "");
    const dash = stem.indexOf("-");
    const name = dash < 0 ? stem : stem.slice(0, dash);
    // A versionless egg-info (python3-cryptography ships one) says its version only inside.
    const version =
      dash < 0
        ? header(readFileSync(join(deb.root, file), "utf8"), "Version")
        : stem.slice(dash + 1).replace(/-py\d+(\.\d+)*$/, "");
    packages.push(`${pep503(name)}@${version}`);
  }
  return { packages: packages.sort(), files, bytes };
}

/**
 * Node truth, by listing every node_modules directory (symlinks not followed, as the image walk):
 * each child directory (or `@scope/child`) whose package.json has a name and a version is a package.
 */
function nodeTruth(root: string): { packages: string[]; files: string[]; bytes: number } {
  const packages: string[] = [];
  const files: string[] = [];
  let bytes = 0;
  const visitPackage = (dir: string) => {
    const manifest = join(dir, "package.json");
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(manifest);
    } catch {
      return;
    }
    if (!st.isFile()) return;
    files.push(manifest.slice(root.length));
    bytes += st.size;
    const json = JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown; version?: unknown };
    if (typeof json.name === "string" && typeof json.version === "string") {
      packages.push(`${json.name}@${json.version}`);
    }
  };
  const stack = [root];
  for (let n = 0; stack.length > 0 && n < 1_000_000; n++) {
    const dir = stack.pop() as string;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const child = join(dir, e.name);
      stack.push(child);
      if (!dir.endsWith("/node_modules") || /^[._]/.test(e.name)) continue;
      if (!e.name.startsWith("@")) visitPackage(child);
      else {
        for (const s of readdirSync(child, { withFileTypes: true })) {
          if (s.isDirectory() && !/^[._]/.test(s.name)) visitPackage(join(child, s.name));
        }
      }
    }
  }
  return { packages: packages.sort(), files, bytes };
}

/**
 * Ownership truth from the host: every dpkg `info/*.list` of the tree, as file path -> package.
 * The list files read for ownership are those of the Python-named packages (python3-*, ...):
 * their sizes bound what the dpkg analyzer may read beyond its status file.
 */
function dpkgListTruth(root: string): {
  owner: Map<string, string>;
  pythonListFiles: string[];
  pythonListBytes: number;
} {
  const info = join(root, "var/lib/dpkg/info");
  const owner = new Map<string, string>();
  const pythonListFiles: string[] = [];
  let pythonListBytes = 0;
  for (const name of readdirSync(info)) {
    if (!name.endsWith(".list")) continue;
    const pkg = name.slice(0, -5).replace(/:.*$/, "");
    const text = readFileSync(join(info, name), "utf8");
    for (const line of text.split("\n")) if (line.startsWith("/")) owner.set(line, pkg);
    if (/^(?:python[23]?|pypy3?)-/.test(pkg)) {
      pythonListFiles.push(`/var/lib/dpkg/info/${name}`);
      pythonListBytes += lstatSync(join(info, name)).size;
    }
  }
  return { owner, pythonListFiles, pythonListBytes };
}

/** Compressed bytes of the distinct chunks holding `paths` (inline data costs no blob read). */
async function chunkBytes(image: Image, paths: readonly string[]): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  for (const path of paths) {
    for (const extent of await image.fileExtents(path)) {
      if (extent.kind !== "chunk") continue;
      const c = extent.chunk;
      const size = c.batch?.compressedSize ?? c.compressedSize;
      const key = `${c.blobIndex}:${c.compressedOffset}`;
      if (seen.has(key)) continue;
      seen.add(key);
      total += size;
    }
  }
  return total;
}

describe.skipIf(UNAVAILABLE !== undefined)("scan of a debootstrapped Debian bookworm", () => {
  let deb: DebianRootfs;
  let outDir: string;
  let report: ScanReport;
  let image: Image;
  let built: BuiltImage;

  beforeAll(async () => {
    deb = await debianRootfs({ log: (m) => console.info(`[debian-rootfs] ${m}`) });
    outDir = mkdtempSync(join(tmpdir(), "rafscan-debian-"));
    built = await buildImage([readDirectory(deb.root)], { outDir, fsVersion: 6, compressor: "zstd" });
    image = await openImage(outDir);
    report = await scanImage(image, { name: outDir });
  }, 20 * 60_000);

  afterAll(async () => {
    await image?.close();
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
  });

  const found = (id: string) => report.packages.filter((p) => p.foundBy === id);
  const analyzer = (id: string) => {
    const a = report.analyzers.find((r) => r.id === id);
    if (a === undefined) throw new Error(`no ${id} analyzer in the report`);
    return a;
  };

  it("finds Debian 12 and no analyzer fails", () => {
    expect(report.image.format).toBe("rafs-v6");
    expect(report.os).toMatchObject({ family: "debian", version: "12", codename: "bookworm" });
    expect(report.analyzers.filter((a) => a.error !== undefined)).toEqual([]);
    expect(report.warnings).toEqual([]);
  });

  it("reports exactly the packages dpkg-query lists as installed", () => {
    const expected = deb.dpkg
      .filter((r) => r.status === "ii")
      .map((r) => `${r.name} ${r.version} ${r.arch}`)
      .sort();
    // More than minbase's ~90: the included packages and their dependencies (143 on 2026-11-23).
    expect(expected.length).toBeGreaterThan(120);
    expect(
      found("dpkg")
        .map((p) => `${p.name} ${p.version} ${p.arch}`)
        .sort(),
    ).toEqual(expected);
  });

  it("reports one Python package per dist-info / egg-info metadata directory", () => {
    const truth = pythonTruth(deb);
    expect(truth.packages).toEqual(
      expect.arrayContaining(["six@1.16.0", "pyyaml@6.0", "cryptography@38.0.4"]),
    );
    expect(
      found("python")
        .map((p) => `${pep503(p.name)}@${p.version}`)
        .sort(),
    ).toEqual(truth.packages);
  });

  it("links each Python distribution under dist-packages to the dpkg package that installed it", () => {
    const { owner } = dpkgListTruth(deb.root);
    const python = found("python");
    const dpkgPurls = new Map(found("dpkg").map((p) => [p.name, p.purl]));
    let linked = 0;
    for (const p of python) {
      const want = owner.get(p.source);
      if (want === undefined) {
        expect(p.installedBy, p.source).toBeUndefined();
        continue;
      }
      linked++;
      expect(p.installedBy, p.source).toEqual({
        manager: "dpkg",
        name: want,
        version: found("dpkg").find((d) => d.name === want)?.version,
        purl: dpkgPurls.get(want),
      });
    }
    // Every distribution of this tree came from apt.
    expect(linked).toBe(python.length);
    expect(linked).toBeGreaterThan(5);
  });

  it("reports exactly the packages installed under node_modules directories", () => {
    // Debian installs node-* packages as /usr/share/nodejs/<name> (no node_modules directory in
    // the walk: /usr/share/node_modules is a symlink to it), so with the default package list this
    // checks that none of those, nor any other package.json, is taken for an installed package.
    const truth = nodeTruth(deb.root);
    expect(
      found("node")
        .map((p) => `${p.name}@${p.version}`)
        .sort(),
    ).toEqual(truth.packages);
  });

  it("reads exactly the bytes of the files each analyzer matched", () => {
    const osFiles = osPlugin.needs.filter((n): n is string => typeof n === "string");
    const osBytes = osFiles.reduce((sum, p) => sum + (fileSize(deb.root, p) ?? 0), 0);
    expect(analyzer("os").bytesRead).toBe(osBytes);
    // Plus the list files of Python-named packages read to link them to their distributions
    // (some, not all: reading stops once every distribution has its owner).
    const status = fileSize(deb.root, "/var/lib/dpkg/status") as number;
    const lists = dpkgListTruth(deb.root);
    const dpkgBytes = analyzer("dpkg").bytesRead;
    console.info(
      `[scan-debian] ownership: dpkg read ${dpkgBytes - status} bytes of list files beyond its ${status}-byte status file (all python list files: ${lists.pythonListBytes})`,
    );
    expect(dpkgBytes).toBeGreaterThan(status);
    expect(dpkgBytes - status).toBeLessThanOrEqual(lists.pythonListBytes);
    expect(analyzer("python").bytesRead).toBe(pythonTruth(deb).bytes);
    expect(analyzer("node").bytesRead).toBe(nodeTruth(deb.root).bytes);
  });

  it("fetches no blob bytes beyond the chunks of the files the analyzers matched", async () => {
    // A fresh image and only these four analyzers, so the counters see nothing else.
    const fresh = await openImage(outDir);
    try {
      await scanImage(fresh, { analyzers: [osPlugin, dpkgPlugin, pythonPlugin, nodePlugin] });
      const read = fresh.stats.blobBytesRead;
      const osFiles = osPlugin.needs.filter((n): n is string => typeof n === "string");
      const paths = [
        ...(await Promise.all(
          osFiles.filter((p) => fileSize(deb.root, p) !== undefined).map((p) => fresh.realpath(p)),
        )),
        "/var/lib/dpkg/status",
        ...dpkgListTruth(deb.root).pythonListFiles,
        ...pythonTruth(deb).files,
        ...nodeTruth(deb.root).files,
      ];
      const bound = await chunkBytes(fresh, paths);
      expect(read).toBeGreaterThan(0);
      expect(read).toBeLessThanOrEqual(bound);
    } finally {
      await fresh.close();
    }
  });

  // Over a registry the bootstrap travels as a gzip layer, so what a scan fetches is the compressed
  // bootstrap plus the package files' chunks. (Read from a local directory the bootstrap is
  // uncompressed: 1.98 MB of this 170 MB image, 1.2% before any file is read.)
  it.skipIf(!HAVE_REGISTRY)(
    "fetches under 1% of the image's bytes when scanned through a registry",
    async () => {
      const registry = await startRegistry();
      try {
        const ref = `${registry.host}/debian:bookworm`;
        await pushImage(built, ref, { insecure: true, platform: hostPlatform() });
        const remote = await openImage(ref, { insecure: true });
        try {
          const r = await scanImage(remote, { name: ref });
          expect(r.packages.filter((p) => p.ecosystem === "deb").length).toBe(
            report.packages.filter((p) => p.ecosystem === "deb").length,
          );
          const t = r.telemetry;
          expect(t.imageBytes).toBeGreaterThan(100_000_000);
          expect(t.bytesFetched).toBeGreaterThan(0);
          console.info(
            `[scan-debian] through a registry: fetched ${t.bytesFetched} of ${t.imageBytes} bytes`,
          );
          expect(t.bytesFetched / (t.imageBytes as number)).toBeLessThan(0.01);
        } finally {
          await remote.close();
        }
      } finally {
        await registry.stop();
      }
    },
  );

  it("gives every package a purl that parses back to its ecosystem, name and version", () => {
    expect(report.packages.length).toBeGreaterThan(0);
    for (const p of report.packages) {
      const parsed = PackageURL.fromString(p.purl);
      expect(parsed.type, p.purl).toBe(p.ecosystem);
      expect(parsed.version, p.purl).toBe(p.version);
    }
  });
});
