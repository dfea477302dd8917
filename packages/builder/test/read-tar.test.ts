// Tests of readTar: the Nydus tar fixtures against GNU tar's own listing and extraction, archives
// GNU tar makes in every format and compression from a tree with every entry type, hand-made
// hostile archives (path escapes, NULs, missing hardlink targets, lying sizes, bombs), and random
// mutations that must only ever raise BuildError.
import { spawnSync } from "node:child_process";
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compress as zstdCompress } from "zstd-napi";
import { BuildError, BuildErrorCode, type BuildWarning, isBuildError } from "../src/input/build-error.js";
import { readTar } from "../src/input/read-tar.js";
import type { SourceEntry } from "../src/source.js";
import {
  type ExpectedEntry,
  HAVE_SETFATTR,
  IS_ROOT,
  makeSampleTree,
  noise,
  sha256,
} from "./helpers/sample-tree.js";
import {
  chunked,
  collect,
  concat,
  END,
  fileMember,
  header,
  padding,
  pax,
  type ReadEntry,
} from "./helpers/tar-craft.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const TAR_FIXTURES = join(REPO_ROOT, "../shared/fixtures/nydus/tar");
const HAVE_FIXTURES = existsSync(TAR_FIXTURES);
if (!HAVE_FIXTURES)
  console.warn(`tar fixture tests skipped: ${TAR_FIXTURES} not found (../shared is absent)`);
const HAVE_GNU_TAR = /GNU tar/.test(spawnSync("tar", ["--version"], { encoding: "utf8" }).stdout ?? "");
if (!HAVE_GNU_TAR) console.warn("GNU tar tests skipped: `tar` is not GNU tar");
const HAVE_ZSTD_CLI = spawnSync("zstd", ["--version"]).status === 0;
if (!HAVE_ZSTD_CLI) console.warn("tar --zstd tests skipped: the zstd CLI is not installed");

const MiB = 1024 * 1024;
const enc = new TextEncoder();

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "rafscan-read-tar-"));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** The BuildError `fn` rejects with (fails the test if it resolves or throws something else). */
async function buildError(fn: () => Promise<unknown>): Promise<BuildError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof BuildError) return err;
    throw err;
  }
  throw new Error("expected a BuildError, got success");
}

/** Entries with file contents replaced by their sha256 (deep-comparing big Buffers is slow). */
const digest = (entries: ReadEntry[]) =>
  entries.map(({ content, ...e }) => ({
    ...e,
    content: content === undefined ? undefined : sha256(content),
  }));

const tarBytes = (...parts: Uint8Array[]) => concat([...parts, END]);
const read = (bytes: Uint8Array, options: Parameters<typeof readTar>[1] = {}) =>
  collect(readTar(chunked(bytes, 1000), options));

// ---------------------------------------------------------------------------------------------
// GNU tar's view of an archive: `tar -tv --full-time` (UTC, numeric owners, C escapes).

interface Listed {
  readonly kind: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: string;
  readonly sec: number;
  readonly nsec: number;
  readonly name: string;
  readonly link?: string;
}

function unescapeC(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "\\") {
      bytes.push(...Buffer.from(s[i] as string, "utf8"));
      continue;
    }
    const oct = /^[0-7]{3}/.exec(s.slice(i + 1));
    if (oct) {
      bytes.push(Number.parseInt(oct[0], 8));
      i += 3;
      continue;
    }
    const c = s[++i];
    bytes.push(
      ({ n: 10, t: 9, "\\": 92, " ": 32 } as Record<string, number>)[c as string] ??
        (c as string).charCodeAt(0),
    );
  }
  return Buffer.from(bytes).toString("utf8");
}

function modeBits(s: string): number {
  let m = 0;
  for (let i = 0; i < 9; i++) if (s[i] !== "-" && s[i] !== "S" && s[i] !== "T") m |= 1 << (8 - i);
  if (s[2] === "s" || s[2] === "S") m |= 0o4000;
  if (s[5] === "s" || s[5] === "S") m |= 0o2000;
  if (s[8] === "t" || s[8] === "T") m |= 0o1000;
  return m;
}

function gnuList(tarPath: string): Listed[] {
  const r = spawnSync("tar", ["--full-time", "--numeric-owner", "--quoting-style=escape", "-tvf", tarPath], {
    env: { ...process.env, TZ: "UTC", LC_ALL: "C" },
    encoding: "latin1",
  });
  if (r.status !== 0) throw new Error(`tar -tvf ${tarPath}: ${r.stderr}`);
  const out: Listed[] = [];
  for (const line of r.stdout.split("\n")) {
    if (line === "") continue;
    const m = /^(.)(.{9}) (\d+)\/(\d+) +(\S+) (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))? +(.*)$/.exec(
      line,
    );
    if (m === null) throw new Error(`unparsed tar listing line: ${line}`);
    let rest = m[9] as string;
    let link: string | undefined;
    for (const sep of [" -> ", " link to "]) {
      const at = rest.indexOf(sep);
      if (at >= 0) {
        link = unescapeC(rest.slice(at + sep.length));
        rest = rest.slice(0, at);
        break;
      }
    }
    out.push({
      kind: m[1] as string,
      mode: modeBits(m[2] as string),
      uid: Number(m[3]),
      gid: Number(m[4]),
      size: m[5] as string,
      sec: Date.parse(`${m[6]}T${m[7]}Z`) / 1000,
      nsec: Number(((m[8] ?? "") as string).padEnd(9, "0")),
      name: unescapeC(rest),
      ...(link === undefined ? {} : { link }),
    });
  }
  return out;
}

const KIND: Record<string, SourceEntry["type"]> = {
  "-": "file",
  h: "hardlink",
  d: "dir",
  l: "symlink",
  c: "chardev",
  b: "blockdev",
  p: "fifo",
};

/** Checks readTar's entries against GNU tar's listing and extraction of the same archive. */
async function compareWithGnuTar(tarPath: string): Promise<ReadEntry[]> {
  const listing = gnuList(tarPath);
  const entries = await collect(readTar(tarPath));
  const strip = (n: string) => n.replace(/^\.\//, "").replace(/\/$/, "");
  expect(entries.map((e) => e.path)).toEqual(listing.map((l) => strip(l.name)));
  const out = join(mkdtempSync(join(work, "x-")), "root");
  mkdirSync(out);
  const x = spawnSync("tar", ["-xpf", tarPath, "-C", out, "--numeric-owner"], { encoding: "utf8" });
  expect(x.status, x.stderr).toBe(0);
  for (const [i, e] of entries.entries()) {
    const l = listing[i] as Listed;
    expect({ path: e.path, type: e.type }).toEqual({ path: e.path, type: KIND[l.kind] });
    expect(e.mode).toBe(l.mode);
    expect([e.uid, e.gid]).toEqual([l.uid, l.gid]);
    expect([e.mtimeSec, e.mtimeNsec]).toEqual([l.sec, l.nsec]);
    if (e.type === "symlink") expect(e.target).toBe(l.link);
    if (e.type === "hardlink") {
      expect(e.target).toBe(strip(l.link as string));
      expect(lstatSync(join(out, e.path)).ino).toBe(lstatSync(join(out, e.target as string)).ino);
    }
    if (e.type === "chardev" || e.type === "blockdev")
      expect(`${e.rdev?.major},${e.rdev?.minor}`).toBe(l.size);
    if (e.type === "file") {
      expect(e.size).toBe(Number(l.size));
      expect(e.content?.equals(readFileSync(join(out, e.path)))).toBe(true);
    }
  }
  return entries;
}

describe.skipIf(!HAVE_FIXTURES || !HAVE_GNU_TAR)("Nydus tar fixtures, checked against GNU tar", () => {
  it("all-entry-type.tar: dirs, a file, hardlinks and a symlink", async () => {
    const entries = await compareWithGnuTar(join(TAR_FIXTURES, "all-entry-type.tar"));
    expect(entries.filter((e) => e.type === "hardlink").map((e) => e.target)).toEqual([
      "tar/dir1/dir3/hardlink1.txt",
      "tar/dir1/dir3/hardlink1.txt",
      "tar/dir1/dir3/hardlink1.txt",
    ]);
  });

  it("all-entry-type-macos.tar: bsdtar PAX headers with nanosecond times and xattrs", async () => {
    const file = join(TAR_FIXTURES, "all-entry-type-macos.tar");
    await compareWithGnuTar(file);
    // Its xattrs have macOS names with no Linux namespace ("hardlink3", "dir", ...): each
    // SCHILY.xattr record in the raw archive is dropped with a warning naming it.
    const warnings: BuildWarning[] = [];
    const entries = await collect(readTar(file, { onWarning: (w) => warnings.push(w) }));
    const raw = readFileSync(file).toString("latin1");
    const records = [...raw.matchAll(/\d+ SCHILY\.xattr\.([^=\n]+)=([^\n]*)\n/g)].map((m) => m[1] as string);
    expect(records.length).toBeGreaterThan(3);
    expect(warnings.map((w) => /xattr '([^']+)'/.exec(w.message)?.[1]).sort()).toEqual(records.sort());
    expect(entries.every((e) => e.xattrs.size === 0)).toBe(true);
    const long = entries.find((e) => e.path.startsWith("tar/dir1/dir3/this_is_really"));
    expect(long?.path.length).toBeGreaterThan(100);
  });

  it("empty.tar (0 bytes) is an empty layer", async () => {
    expect(await collect(readTar(join(TAR_FIXTURES, "empty.tar")))).toEqual([]);
  });

  it("gives the same entries from a path, a Readable and 1-byte chunks", async () => {
    const file = join(TAR_FIXTURES, "all-entry-type-macos.tar");
    const a = await collect(readTar(file));
    const b = await collect(readTar(createReadStream(file)));
    const c = await collect(readTar(chunked(readFileSync(file), 1)));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });
});

// ---------------------------------------------------------------------------------------------
// Archives GNU tar makes from a tree with every entry type.

function expectSample(entries: ReadEntry[], expected: Map<string, ExpectedEntry>): void {
  expect(entries.map((e) => e.path).sort()).toEqual([...expected.keys()].sort());
  for (const e of entries) {
    const x = expected.get(e.path) as ExpectedEntry;
    const got = {
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      mtime: [e.mtimeSec, e.mtimeNsec],
      target: e.target,
      rdev: e.rdev,
      xattrs: Object.fromEntries([...e.xattrs].map(([k, v]) => [k, Buffer.from(v).toString("hex")])),
      content: e.content?.toString("hex"),
      size: e.size,
    };
    const want = {
      type: x.type,
      mode: x.mode,
      uid: x.uid,
      gid: x.gid,
      mtime: [x.mtimeSec, x.mtimeNsec],
      target: x.target,
      rdev: x.rdev,
      xattrs: Object.fromEntries([...x.xattrs].map(([k, v]) => [k, Buffer.from(v).toString("hex")])),
      content: x.type === "file" ? (x.content ?? Buffer.alloc(0)).toString("hex") : undefined,
      size: x.type === "file" ? (x.content?.length ?? 0) : 0,
    };
    expect({ path: e.path, ...got }).toEqual({ path: e.path, ...want });
  }
}

const FORMATS = ["pax", "gnu", "ustar"] as const;
const COMPRESSIONS = [
  ["none", []],
  ["gzip", ["--gzip"]],
  ["zstd", ["--zstd"]],
] as const;

describe.skipIf(!HAVE_GNU_TAR).each(FORMATS)("GNU tar --format=%s", (format) => {
  let tree: string;
  let expected: Map<string, ExpectedEntry>;
  beforeAll(() => {
    tree = join(work, `tree-${format}`);
    mkdirSync(tree);
    expected = makeSampleTree(tree, {
      xattrs: format === "pax" && HAVE_SETFATTR,
      long: format !== "ustar",
      devices: IS_ROOT,
    });
  });

  for (const [compression, flags] of COMPRESSIONS) {
    it.skipIf(compression === "zstd" && !HAVE_ZSTD_CLI)(`${compression}`, async () => {
      const out = join(work, `${format}-${compression}.tar`);
      const xattrFlags = format === "pax" ? ["--xattrs", "--xattrs-include=*"] : [];
      const r = spawnSync(
        "tar",
        [
          `--format=${format}`,
          ...xattrFlags,
          ...flags,
          "--sort=name",
          "--numeric-owner",
          "-cpf",
          out,
          "-C",
          tree,
          ".",
        ],
        { encoding: "utf8" },
      );
      expect(r.status, r.stderr).toBe(0);
      const warnings: BuildWarning[] = [];
      const entries = await collect(readTar(out, { onWarning: (w) => warnings.push(w) }));
      expectSample(entries, expected);
      // GNU tar's PAX atime/ctime records are dropped quietly; nothing else was odd.
      expect(warnings).toEqual([]);
      if (compression === "none") {
        // Chunk boundaries anywhere (509 bytes never lines up with a block) change nothing.
        const again = await collect(readTar(chunked(readFileSync(out), 509)));
        expect(digest(again)).toEqual(digest(entries));
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Hand-made archives.

describe("names", () => {
  it("refuses '..' and names the entry", async () => {
    for (const name of ["../etc/passwd", "a/../../b", "a/.."]) {
      const err = await buildError(() => read(tarBytes(fileMember(name, "x")), { name: "evil.tar" }));
      expect(err.code).toBe(BuildErrorCode.BAD_ENTRY);
      expect(err.path).toBe(name);
      expect(err.input).toBe("evil.tar");
      expect(err.message).toContain('".."');
      expect(err.message).toContain(name);
    }
  });

  it("makes absolute and ./ names relative to the layer root", async () => {
    const entries = await read(
      tarBytes(
        header({ name: "./", type: "5", mode: 0o700 }),
        fileMember("/abs/path", "a"),
        fileMember(".//./x/./y/", "b"),
        fileMember("///z", "c"),
      ),
    );
    expect(entries.map((e) => e.path)).toEqual(["", "abs/path", "x/y", "z"]);
    expect(entries[0]?.type).toBe("dir");
    expect(entries[0]?.mode).toBe(0o700);
  });

  it("refuses empty components, NULs (PAX and GNU long names), overlong components, non-UTF-8", async () => {
    const cases: [Uint8Array, string][] = [
      [fileMember("a//b", "x"), "empty component"],
      [concat([pax([["path", "evil\0name"]]), fileMember("short", "x")]), "NUL"],
      [
        concat([
          header({ name: "././@LongLink", type: "L", size: 9, format: "gnu" }),
          enc.encode("abc\0def\0\0"),
          padding(9),
          fileMember("short", "x", { format: "gnu" }),
        ]),
        "NUL",
      ],
      [concat([pax([["path", `d/${"n".repeat(256)}`]]), fileMember("short", "x")]), "longer than 255"],
      [fileMember(new Uint8Array([0x61, 0xff, 0x62]), "x"), "UTF-8"],
    ];
    for (const [member, text] of cases) {
      const err = await buildError(() => read(tarBytes(member)));
      expect(err.code).toBe(BuildErrorCode.BAD_ENTRY);
      expect(err.message).toContain(text);
      expect(err.path).toBeDefined();
    }
  });

  it("refuses a root that is not a directory", async () => {
    const err = await buildError(() => read(tarBytes(fileMember("./", "x"))));
    expect(err.code).toBe(BuildErrorCode.BAD_ENTRY);
    expect(err.message).toContain("root");
  });

  it("joins the ustar prefix; reads GNU long names and links; v7 dirs by trailing slash", async () => {
    const longName = `${"p".repeat(150)}/${"n".repeat(150)}`;
    const longLink = `${"t".repeat(300)}`;
    const entries = await read(
      tarBytes(
        fileMember("name", "1", { prefix: "some/prefix" }),
        header({ name: "././@LongLink", type: "L", size: longName.length + 1, format: "gnu" }),
        enc.encode(`${longName}\0`),
        padding(longName.length + 1),
        fileMember("truncated-name", "2", { format: "gnu" }),
        header({ name: "././@LongLink", type: "K", size: longLink.length + 1, format: "gnu" }),
        enc.encode(`${longLink}\0`),
        padding(longLink.length + 1),
        header({ name: "sym", type: "2", linkname: "short", format: "gnu" }),
        header({ name: "olddir/", type: "\0", format: "v7", mode: 0o40755 }),
        fileMember("oldfile", "3", { type: "\0", format: "v7" }),
      ),
    );
    expect(entries.map((e) => [e.path, e.type])).toEqual([
      ["some/prefix/name", "file"],
      [longName, "file"],
      ["sym", "symlink"],
      ["olddir", "dir"],
      ["oldfile", "file"],
    ]);
    expect(entries[2]?.target).toBe(longLink);
    // Type bits in the mode field are dropped.
    expect(entries[3]?.mode).toBe(0o755);
  });
});

describe("hardlinks", () => {
  it("link to an earlier path, including one that is itself a hardlink", async () => {
    const entries = await read(
      tarBytes(
        fileMember("a", "data"),
        header({ name: "b", type: "1", linkname: "./a" }),
        header({ name: "c", type: "1", linkname: "/b" }),
        header({ name: "s", type: "2", linkname: "a" }),
        header({ name: "s2", type: "1", linkname: "s" }),
      ),
    );
    expect(entries.map((e) => [e.path, e.type, e.target])).toEqual([
      ["a", "file", undefined],
      ["b", "hardlink", "a"],
      ["c", "hardlink", "b"],
      ["s", "symlink", "a"],
      // OCI: any non-directory can be hardlinked.
      ["s2", "hardlink", "s"],
    ]);
    expect(entries[1]?.size).toBe(0);
    expect(entries[1]?.content).toBeUndefined();
  });

  it("refuses a missing target, a later target, a directory, itself, an escaping target", async () => {
    const cases: [Uint8Array[], string][] = [
      [[header({ name: "b", type: "1", linkname: "missing" })], "not earlier"],
      [[header({ name: "b", type: "1", linkname: "a" }), fileMember("a", "x")], "not earlier"],
      [[header({ name: "d", type: "5" }), header({ name: "b", type: "1", linkname: "d" })], "directory"],
      [[fileMember("b", "x"), header({ name: "b", type: "1", linkname: "b" })], "itself"],
      [[fileMember("a", "x"), header({ name: "b", type: "1", linkname: "../a" })], '".."'],
    ];
    for (const [members, text] of cases) {
      const err = await buildError(() => read(tarBytes(...members), { name: "links.tar" }));
      expect(err.code).toBe(BuildErrorCode.BAD_ENTRY);
      expect(err.path).toBe("b");
      expect(err.message).toContain(text);
    }
  });
});

describe("numbers, PAX records and xattrs", () => {
  it("decodes base-256 sizes, negative times and large ids", async () => {
    const entries = await read(
      tarBytes(
        fileMember("neg", "hello", { mtime: -5n, format: "gnu" }),
        pax([
          ["uid", "4000000000"],
          ["gid", "4294967295"],
          ["mtime", "-1.5"],
        ]),
        fileMember("pax", "x"),
        pax([
          ["mtime", "1665584430.393557573"],
          ["size", "3"],
        ]),
        fileMember("paxsize", "abc", { size: 999 }).subarray(0, 512),
        enc.encode("abc"),
        padding(3),
      ),
    );
    expect(entries.map((e) => [e.path, e.mtimeSec, e.mtimeNsec, e.size])).toEqual([
      ["neg", -5, 0, 5],
      ["pax", -2, 500_000_000, 1],
      ["paxsize", 1665584430, 393_557_573, 3],
    ]);
    expect([entries[1]?.uid, entries[1]?.gid]).toEqual([4_000_000_000, 4_294_967_295]);
    expect(entries[2]?.content?.toString()).toBe("abc");
  });

  it("a PAX size belongs to the entry, not to a GNU long name header between", async () => {
    const name = "n".repeat(120);
    const entries = await read(
      tarBytes(
        pax([["size", "3"]]),
        header({ name: "././@LongLink", type: "L", size: name.length + 1, format: "gnu" }),
        enc.encode(`${name}\0`),
        padding(name.length + 1),
        header({ name: "short", size: 999, format: "gnu" }),
        enc.encode("abc"),
        padding(3),
        fileMember("next", "z"),
      ),
    );
    expect(entries.map((e) => [e.path, e.content?.toString()])).toEqual([
      [name, "abc"],
      ["next", "z"],
    ]);
  });

  it("applies global headers to later entries, local records win", async () => {
    const entries = await read(
      tarBytes(
        pax(
          [
            ["uid", "77"],
            ["SCHILY.xattr.user.g", "global"],
          ],
          "g",
        ),
        fileMember("one", "1"),
        pax([["uid", "88"]]),
        fileMember("two", "2"),
        pax([["uid", ""]], "g"),
        fileMember("three", "3", { uid: 5 }),
      ),
    );
    expect(entries.map((e) => [e.path, e.uid])).toEqual([
      ["one", 77],
      ["two", 88],
      ["three", 5],
    ]);
    expect(Buffer.from(entries[0]?.xattrs.get("user.g") ?? []).toString()).toBe("global");
  });

  it("reads SCHILY (raw) and LIBARCHIVE (base64, %-escaped names) xattrs; LIBARCHIVE wins", async () => {
    const binary = new Uint8Array([0, 255, 10, 61, 32]);
    const entries = await read(
      tarBytes(
        pax([
          ["SCHILY.xattr.user.raw", binary],
          ["SCHILY.xattr.user.empty", ""],
          ["SCHILY.xattr.user.both", "lossy"],
          ["LIBARCHIVE.xattr.user.both", Buffer.from(binary).toString("base64")],
          ["LIBARCHIVE.xattr.user.sp%20ace%3D", "dmFsdWU"],
          ["SCHILY.xattr.com.apple.quarantine", "q"],
          ["SCHILY.xattr.user.", "no name after the namespace"],
        ]),
        fileMember("f", "x"),
      ),
    );
    const x = entries[0]?.xattrs as ReadonlyMap<string, Uint8Array>;
    expect([...x.keys()].sort()).toEqual(["user.both", "user.empty", "user.raw", "user.sp ace="]);
    expect(x.get("user.raw")).toEqual(binary);
    // Copies, not views pinning the decompressed chunk the record came in.
    for (const v of x.values()) expect(v.buffer.byteLength).toBe(v.length);
    expect(x.get("user.empty")).toEqual(new Uint8Array(0));
    expect(x.get("user.both")).toEqual(binary);
    expect(Buffer.from(x.get("user.sp ace=") ?? []).toString()).toBe("value");
  });

  it("reads device numbers and warns once about PAX records it drops", async () => {
    const warnings: BuildWarning[] = [];
    const entries = await read(
      tarBytes(
        pax([["SCHILY.acl.access", "user::rw-"]]),
        header({ name: "c", type: "3", devmajor: 4095, devminor: 1048575 }),
        pax([["SCHILY.acl.access", "user::rw-"]]),
        header({ name: "b", type: "4", devmajor: 8, devminor: 1 }),
        header({ name: "p", type: "6" }),
      ),
      { onWarning: (w) => warnings.push(w) },
    );
    expect(entries.map((e) => [e.path, e.type, e.rdev])).toEqual([
      ["c", "chardev", { major: 4095, minor: 1048575 }],
      ["b", "blockdev", { major: 8, minor: 1 }],
      ["p", "fifo", undefined],
    ]);
    expect(warnings.map((w) => w.code)).toEqual(["IGNORED_FIELD"]);
    expect(warnings[0]?.message).toContain("SCHILY.acl.access");
  });

  it("refuses device numbers Linux cannot encode, bad numbers, bad PAX records", async () => {
    const cases: [Uint8Array, string, string][] = [
      [header({ name: "c", type: "3", devmajor: 4096 }), BuildErrorCode.BAD_ENTRY, "device"],
      [concat([pax([["uid", "12x"]]), fileMember("f", "")]), BuildErrorCode.BAD_ENTRY, "uid"],
      [concat([pax([["mtime", "1.2.3"]]), fileMember("f", "")]), BuildErrorCode.BAD_ENTRY, "mtime"],
      [
        concat([pax([["size", "99999999999999999999"]]), fileMember("f", "")]),
        BuildErrorCode.BAD_ENTRY,
        "size",
      ],
    ];
    for (const [member, code, text] of cases) {
      const err = await buildError(() => read(tarBytes(member)));
      expect(err.code).toBe(code);
      expect(err.message).toContain(text);
    }
    // A record whose length runs past the data.
    const bad = enc.encode("99 path=x\n");
    const broken = concat([header({ name: "P", type: "x", size: bad.length }), bad, padding(bad.length)]);
    const err = await buildError(() => read(tarBytes(broken, fileMember("f", ""))));
    expect(err.code).toBe(BuildErrorCode.BAD_INPUT);
    expect(err.message).toContain("PAX");
  });
});

describe("entry types", () => {
  it("refuses sparse files (GNU 'S' and PAX GNU.sparse.*) and unknown types, naming them", async () => {
    const cases: [Uint8Array, string][] = [
      [header({ name: "sparse", type: "S", format: "gnu" }), "sparse"],
      [
        concat([
          pax([
            ["GNU.sparse.major", "1"],
            ["GNU.sparse.minor", "0"],
          ]),
          fileMember("GNUSparseFile.0/s", ""),
        ]),
        "sparse",
      ],
      [header({ name: "weird", type: "Z" }), "'Z'"],
      [header({ name: "multi", type: "M", format: "gnu" }), "'M'"],
    ];
    for (const [member, text] of cases) {
      const err = await buildError(() => read(tarBytes(member)));
      expect(err.code).toBe(BuildErrorCode.BAD_ENTRY);
      expect(err.message).toContain(text);
      expect(err.path).toBeDefined();
    }
  });

  it("skips data after non-file entries and volume labels; yields duplicates with a warning", async () => {
    const warnings: BuildWarning[] = [];
    const listing = enc.encode("Ya\0Nb\0\0");
    const entries = await read(
      tarBytes(
        header({ name: "label", type: "V", size: 5, format: "gnu" }),
        enc.encode("label"),
        padding(5),
        header({ name: "dd", type: "D", size: listing.length, format: "gnu" }),
        listing,
        padding(listing.length),
        fileMember("f", "first"),
        header({ name: "d", type: "5", size: 600 }),
        new Uint8Array(600),
        padding(600),
        fileMember("f", "second"),
      ),
      { onWarning: (w) => warnings.push(w) },
    );
    expect(entries.map((e) => [e.path, e.type, e.content?.toString()])).toEqual([
      ["dd", "dir", undefined],
      ["f", "file", "first"],
      ["d", "dir", undefined],
      ["f", "file", "second"],
    ]);
    expect(warnings.map((w) => [w.code, w.path])).toEqual([
      ["IGNORED_DATA", "d"],
      ["DUPLICATE_ENTRY", "f"],
    ]);
  });
});

describe("data streaming", () => {
  const archive = () =>
    tarBytes(
      fileMember("a", noise(5000, 1)),
      fileMember("b", noise(70_000, 2)),
      header({ name: "d", type: "5" }),
      fileMember("c", noise(3, 3)),
    );

  it("skips data the consumer does not read, or reads only in part", async () => {
    const full = await read(archive());
    const unread = await collect(readTar(chunked(archive(), 777)), { readData: false });
    expect(unread.map((e) => e.path)).toEqual(["a", "b", "d", "c"]);
    const partial: string[] = [];
    for await (const e of readTar(chunked(archive(), 333))) {
      if (e.data) {
        for await (const piece of e.data) {
          partial.push(`${e.path}:${piece.length}`);
          break;
        }
      }
    }
    // Pieces are views of the input chunks: never longer than one, never empty.
    expect(partial.map((p) => p.split(":")[0])).toEqual(["a", "b", "c"]);
    for (const p of partial) expect(Number(p.split(":")[1])).toBeGreaterThan(0);
    for (const p of partial) expect(Number(p.split(":")[1])).toBeLessThanOrEqual(333);
    expect(full.map((e) => e.content?.length)).toEqual([5000, 70_000, undefined, 3]);
    expect(full[1]?.content?.equals(noise(70_000, 2))).toBe(true);
  });

  it("refuses data read after the next entry, or read twice", async () => {
    const it = readTar(chunked(archive()))[Symbol.asyncIterator]();
    const first = (await it.next()).value as SourceEntry;
    await it.next();
    await expect(async () => {
      for await (const _ of first.data ?? []) void _;
    }).rejects.toThrow(/after the next entry/);
    const again = readTar(chunked(archive()))[Symbol.asyncIterator]();
    const e = (await again.next()).value as SourceEntry;
    for await (const _ of e.data ?? []) void _;
    await expect(async () => {
      for await (const _ of e.data ?? []) void _;
    }).rejects.toThrow(/read once/);
    await again.return?.(undefined);
    await it.return?.(undefined);
  });

  it("stops on abort", async () => {
    const ac = new AbortController();
    const err = await (async () => {
      try {
        for await (const e of readTar(chunked(archive()), { signal: ac.signal }))
          if (e.path === "b") ac.abort();
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.name).toBe("AbortError");
  });

  it("accepts an archive without end-of-archive blocks; stops at the first zero block", async () => {
    const noEnd = fileMember("a", "x");
    expect((await read(noEnd)).map((e) => e.path)).toEqual(["a"]);
    const afterEnd = concat([fileMember("a", "x"), END, new Uint8Array([1, 2, 3])]);
    expect((await read(afterEnd)).map((e) => e.path)).toEqual(["a"]);
  });
});

describe("broken and hostile archives", () => {
  it("refuses a bad checksum, a cut header, and input that is not a tar", async () => {
    const bad = await buildError(() => read(tarBytes(fileMember("a", "x", { checksumDelta: 1 }))));
    expect(bad.code).toBe(BuildErrorCode.BAD_INPUT);
    expect(bad.message).toMatch(/checksum at byte 0 \(not a tar archive\?\)/);
    const cut = await buildError(() => read(fileMember("a", "x").subarray(0, 300)));
    expect(cut.code).toBe(BuildErrorCode.BAD_INPUT);
    const text = await buildError(() => read(enc.encode("<html>not a tar</html>".repeat(40))));
    expect(text.code).toBe(BuildErrorCode.BAD_INPUT);
  });

  it("an entry claiming 1 TiB with 10 bytes of data: refused by maxEntrySize, or as cut short", async () => {
    const lying = concat([header({ name: "huge", size: 2n ** 40n, format: "gnu" }), noise(10, 9)]);
    const before = process.memoryUsage().arrayBuffers;
    const err = await buildError(() => read(lying, { name: "lie.tar" }));
    expect(err.code).toBe(BuildErrorCode.BAD_ENTRY);
    expect(err.path).toBe("huge");
    expect(err.message).toContain("maxEntrySize");
    for (const readData of [true, false]) {
      const cut = await buildError(() =>
        collect(readTar(chunked(lying, 7), { maxEntrySize: 2 ** 41, name: "lie.tar" }), { readData }),
      );
      expect(cut.code).toBe(BuildErrorCode.BAD_ENTRY);
      expect(cut.path).toBe("huge");
      expect(cut.message).toMatch(/ends \d+ bytes before the 1099511627776 bytes/);
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * MiB);
  });

  it("a PAX header claiming 100 MiB is refused before it is read", async () => {
    const err = await buildError(() => read(header({ name: "P", type: "x", size: 100 * MiB })));
    expect(err.code).toBe(BuildErrorCode.LIMIT);
  });

  it("a gzip layer cut inside an entry names the entry", async () => {
    const gz = gzipSync(tarBytes(fileMember("first", "1"), fileMember("big", noise(300_000, 4))));
    const err = await buildError(() => read(gz.subarray(0, gz.length - 2000)));
    expect(err.code).toBe(BuildErrorCode.BAD_ENTRY);
    expect(err.path).toBe("big");
    expect(err.message).toContain("gzip stream ends early");
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, 100, 200);
    expect((await buildError(() => read(corrupt))).code).toBe(BuildErrorCode.BAD_INPUT);
  });

  it("a zstd layer cut inside an entry names the entry", async () => {
    const zst = zstdCompress(
      Buffer.from(tarBytes(fileMember("first", "1"), fileMember("big", noise(300_000, 4)))),
    );
    expect((await read(zst)).map((e) => e.content?.length)).toEqual([1, 300_000]);
    const err = await buildError(() => read(zst.subarray(0, zst.length - 1000)));
    expect(err.code).toBe(BuildErrorCode.BAD_ENTRY);
    expect(err.path).toBe("big");
  });

  /** A gzip bomb: one member with a header claiming `size` bytes, then members of zeros. */
  async function* gzipBomb(size: number): AsyncGenerator<Uint8Array> {
    yield gzipSync(header({ name: "bomb", size: BigInt(size), format: "gnu" }));
    // 8 MiB of zeros deflate to ~8 KiB (about 1026:1, near deflate's 1032:1 ceiling).
    const member = gzipSync(Buffer.alloc(8 * MiB), { level: 9 });
    for (let out = 0; out < size; out += 8 * MiB) yield member;
  }

  it("a 2 GiB gzip bomb stops at maxRatio soon after 64 MiB, in bounded memory", async () => {
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    for (const readData of [true, false]) {
      const err = await buildError(() =>
        collect(readTar(gzipBomb(2 ** 31), { name: "bomb.tar.gz" }), { readData }),
      );
      expect(err.code).toBe(BuildErrorCode.LIMIT);
      expect(err.message).toContain("maxRatio");
      expect(err.input).toBe("bomb.tar.gz");
      const out = Number(/: (\d+) bytes from/.exec(err.message)?.[1]);
      expect(out).toBeGreaterThan(64 * MiB);
      expect(out).toBeLessThan(80 * MiB);
    }
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(128 * MiB);
  });

  it("maxTotalSize bounds a layer whatever its ratio", async () => {
    const err = await buildError(() =>
      collect(readTar(gzipBomb(2 ** 31), { maxRatio: 1e9, maxTotalSize: 100 * MiB })),
    );
    expect(err.code).toBe(BuildErrorCode.LIMIT);
    expect(err.message).toContain("maxTotalSize");
    const plain = await buildError(() =>
      read(tarBytes(fileMember("a", noise(20_000, 1))), { maxTotalSize: 10_000 }),
    );
    expect(plain.code).toBe(BuildErrorCode.LIMIT);
  });

  it("a zstd bomb (1 GiB of zeros in a few KiB) stops at maxRatio", async () => {
    async function* zstdBomb(): AsyncGenerator<Uint8Array> {
      const frame = zstdCompress(Buffer.alloc(16 * MiB));
      yield zstdCompress(Buffer.from(header({ name: "zbomb", size: 2n ** 30n, format: "gnu" })));
      for (let i = 0; i < 64; i++) yield frame;
    }
    const before = process.memoryUsage().arrayBuffers;
    const err = await buildError(() => collect(readTar(zstdBomb())));
    expect(err.code).toBe(BuildErrorCode.LIMIT);
    expect(Number(/: (\d+) bytes from/.exec(err.message)?.[1])).toBeLessThan(66 * MiB);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(128 * MiB);
  });

  it("random mutations of a valid archive only ever raise BuildError", async () => {
    const valid = tarBytes(
      pax([
        ["path", "pax/long/name"],
        ["mtime", "1.5"],
        ["SCHILY.xattr.user.x", "y"],
      ]),
      fileMember("ignored", "pax data"),
      header({ name: "././@LongLink", type: "L", size: 6, format: "gnu" }),
      enc.encode("gnuln\0"),
      padding(6),
      fileMember("x", noise(700, 5), { format: "gnu" }),
      header({ name: "dir", type: "5" }),
      header({ name: "hl", type: "1", linkname: "x" }),
      header({ name: "sl", type: "2", linkname: "../x" }),
    );
    const variants = [valid, gzipSync(valid), zstdCompress(Buffer.from(valid))];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (which, edits, cut) => {
          const base = variants[which] as Uint8Array;
          const bytes = Uint8Array.from(base);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const input = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
          try {
            await collect(readTar(chunked(input, 100)));
          } catch (err) {
            if (!isBuildError(err)) throw err;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

it.skipIf(!existsSync("/proc/self/fd"))(
  "closes the file and decompressor when the consumer stops early",
  async () => {
    const file = join(work, "early.tar.gz");
    writeFileSync(file, gzipSync(tarBytes(fileMember("a", noise(100_000, 1)), fileMember("b", "x"))));
    const fds = () => readdirSync("/proc/self/fd").length;
    const before = fds();
    for (let i = 0; i < 20; i++) {
      for await (const e of readTar(file)) {
        expect(e.path).toBe("a");
        break;
      }
    }
    // Closing is asynchronous in node:fs streams; give it a turn.
    await new Promise((r) => setTimeout(r, 50));
    expect(fds()).toBeLessThanOrEqual(before);
  },
);

it("readTar of a file path can be iterated twice; a stream only once", async () => {
  const file = join(work, "twice.tar");
  writeFileSync(file, tarBytes(fileMember("a", "x")));
  const src = readTar(file);
  expect((await collect(src)).length).toBe(1);
  expect((await collect(src)).length).toBe(1);
  const stream = readTar(chunked(readFileSync(file)));
  await collect(stream);
  expect(() => stream[Symbol.asyncIterator]()).toThrow(/once/);
  const missing = await buildError(() => collect(readTar(join(work, "missing.tar"))));
  expect(missing.code).toBe(BuildErrorCode.IO);
  expect(missing.message).toContain("ENOENT");
});
