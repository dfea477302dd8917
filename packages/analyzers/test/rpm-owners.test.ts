// rpm ownership of language packages: a Python distribution under site-packages gets `installedBy`
// from the rpm whose file list holds it, a pip-installed one does not, and finding that out
// fetches no more bytes than the scan without it. On an image built from a tree holding a
// database made by real rpm; skipped when rpm/rpmbuild are not installed.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildImage, readDirectory } from "@rafscan/builder";
import { FileBlobSource, type Image, openImage } from "@rafscan/vfs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { builtinAnalyzers } from "../src/builtin.js";
import { rpmAnalyzer } from "../src/rpm/index.js";
import { fileList } from "../src/rpm/owners.js";
import { RPM_TYPE, RPMTAG } from "../src/rpm/tags.js";
import { scanImage } from "../src/scan.js";
import { unmatchableReason } from "../src/vulnerability.js";
import { buildRpms, installIntoDb, rpmAvailable } from "./helpers/rpm/rpm-tool.js";

const SITE = "/usr/lib/python3.9/site-packages";
const REQUESTS_META = `${SITE}/requests-2.25.1.dist-info/METADATA`;
const SIX_DIR = "/usr/lib64/python3.11/site-packages/six-1.15.0.dist-info";
const PIP_META = "/usr/local/lib/python3.9/site-packages/urllib3-1.26.5.dist-info/METADATA";
const meta = (name: string, version: string) => `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`;

let work: string;
let db: Uint8Array;
const opened: Image[] = [];

async function imageOf(tree: Record<string, string | Uint8Array>, name: string): Promise<Image> {
  const root = join(work, name, "root");
  const out = join(work, name, "out");
  for (const [path, content] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  await buildImage([readDirectory(root)], { outDir: out });
  const image = await openImage({
    bootstrap: join(out, "bootstrap"),
    blobs: (blob) => new FileBlobSource(join(out, "blobs", blob.id)),
  });
  opened.push(image);
  return image;
}

function treeWith(db: Uint8Array, extra: Record<string, string>): Record<string, string | Uint8Array> {
  return {
    "etc/os-release": 'ID="rocky"\nVERSION_ID="9.4"\n',
    "var/lib/rpm/rpmdb.sqlite": db,
    [PIP_META.slice(1)]: meta("urllib3", "1.26.5"),
    ...extra,
  };
}

describe.skipIf(!rpmAvailable)("rpm ownership of language packages", () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "rafscan-rpm-owners-"));
    const rpms = buildRpms(work, [
      {
        name: "python3-requests",
        version: "2.25.1",
        release: "8.el9",
        license: "ASL 2.0",
        ownedFiles: [REQUESTS_META],
      },
      // Owns its dist-info directory only: the METADATA inside is still its.
      { name: "python3-six", version: "1.15.0", release: "9.el9", license: "MIT", ownedDirs: [SIX_DIR] },
      { name: "bash", version: "5.1.8", release: "9.el9", license: "GPLv3+", files: 200 },
    ]);
    installIntoDb(join(work, "db"), rpms);
    db = new Uint8Array(readFileSync(join(work, "db", "rpmdb.sqlite")));
  }, 120_000);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((i) => i.close()));
  });
  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it("links site-packages distributions to their rpm and leaves pip's alone, fetching nothing more", async () => {
    const tree = treeWith(db, {
      [REQUESTS_META.slice(1)]: meta("requests", "2.25.1"),
      [`${SIX_DIR.slice(1)}/METADATA`]: meta("six", "1.15.0"),
    });
    const report = await scanImage(await imageOf(tree, "a"), { analyzers: builtinAnalyzers() });
    expect(report.warnings).toEqual([]);
    const rpmOf = (name: string) => report.packages.find((p) => p.ecosystem === "rpm" && p.name === name);
    const requests = report.packages.find((p) => p.name === "requests");
    expect(requests?.installedBy).toEqual({
      manager: "rpm",
      name: "python3-requests",
      version: "2.25.1-8.el9",
      purl: rpmOf("python3-requests")?.purl,
    });
    expect(rpmOf("python3-requests")?.purl).toMatch(/^pkg:rpm\/rocky\/python3-requests@2\.25\.1-8\.el9\?/);
    expect(requests && unmatchableReason(requests)).toMatch(/installed by rpm package python3-requests/);
    const six = report.packages.find((p) => p.name === "six");
    expect(six?.installedBy?.name).toBe("python3-six");
    // pip's tree is no rpm's: no owner, and it stays matchable.
    const urllib3 = report.packages.find((p) => p.name === "urllib3");
    expect(urllib3).toBeDefined();
    expect(urllib3?.installedBy).toBeUndefined();
    expect(urllib3 && unmatchableReason(urllib3)).toBeUndefined();

    // The database is read again (counted), but its chunks come from the cache: the same bytes
    // are fetched as by a scan whose rpm analyzer has no owners hook.
    const rpm = report.analyzers.find((a) => a.id === "rpm");
    expect(rpm?.bytesRead).toBe(2 * db.length);
    const { owners: _, ...withoutOwners } = rpmAnalyzer;
    const analyzers = builtinAnalyzers().map((a) => (a.id === "rpm" ? withoutOwners : a));
    const plain = await scanImage(await imageOf(tree, "a2"), { analyzers });
    expect(plain.packages.find((p) => p.name === "requests")?.installedBy).toBeUndefined();
    expect(report.telemetry.bytesFetched).toBe(plain.telemetry.bytesFetched);
  });

  it("reads the database only once when no language package lies under a system tree", async () => {
    const report = await scanImage(await imageOf(treeWith(db, {}), "b"), { analyzers: builtinAnalyzers() });
    expect(report.packages.find((p) => p.name === "urllib3")?.installedBy).toBeUndefined();
    expect(report.analyzers.find((a) => a.id === "rpm")?.bytesRead).toBe(db.length);
  });
});

/** A header holding just the three file list tags, for the bounds checks. */
function fileListHeader(basenames: string[], dirnames: string[], dirindexes: number[]) {
  const enc = new TextEncoder();
  const strings = (xs: string[]) => enc.encode(xs.map((x) => `${x}\0`).join(""));
  const ints = new Uint8Array(dirindexes.length * 4);
  for (const [i, v] of dirindexes.entries()) new DataView(ints.buffer).setUint32(i * 4, v);
  const b = strings(basenames);
  const d = strings(dirnames);
  const data = new Uint8Array(ints.length + b.length + d.length);
  data.set(ints, 0);
  data.set(b, ints.length);
  data.set(d, ints.length + b.length);
  const entries = new Map([
    [
      RPMTAG.DIRINDEXES,
      { tag: RPMTAG.DIRINDEXES, type: RPM_TYPE.INT32, offset: 0, count: dirindexes.length },
    ],
    [
      RPMTAG.BASENAMES,
      { tag: RPMTAG.BASENAMES, type: RPM_TYPE.STRING_ARRAY, offset: ints.length, count: basenames.length },
    ],
    [
      RPMTAG.DIRNAMES,
      {
        tag: RPMTAG.DIRNAMES,
        type: RPM_TYPE.STRING_ARRAY,
        offset: ints.length + b.length,
        count: dirnames.length,
      },
    ],
  ]);
  return { entries, data };
}

describe("rpm file lists", () => {
  it("joins directories and base names", () => {
    const list = fileList(fileListHeader(["a", "b"], ["/usr/", "/etc/"], [1, 0]));
    expect(list?.basenames.map((b, i) => `${list.dirnames[list.dirindexes[i] ?? 0]}${b}`)).toEqual([
      "/etc/a",
      "/usr/b",
    ]);
  });

  it("rejects a directory index out of range and arrays of different lengths", () => {
    expect(() => fileList(fileListHeader(["a"], ["/usr/"], [1]))).toThrow(/directory 1 of 1/);
    expect(() => fileList(fileListHeader(["a", "b"], ["/usr/"], [0]))).toThrow(/2 BASENAMES but 1/);
  });
});
