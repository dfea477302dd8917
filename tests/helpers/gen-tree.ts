// Deterministic random directory trees for the EROFS differential tests: every inode kind that
// mkfs.erofs stores, at the size, name-length, ownership, device-number and timestamp boundaries.

import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Prng } from "./prng.js";

/** Options of {@link generateTree}. */
export interface GenTreeOptions {
  /**
   * Chunk sizes the tree will be packed with; for each, files of `k*size - 1`, `k*size` and
   * `k*size + 1` bytes (k = 1, 2) are written. Default `[4096, 65536]`.
   */
  chunkSizes?: readonly number[];
  /** Entries in the big directory `/many` (its dirents span many 4 KiB blocks). Default 3000. */
  bigDirEntries?: number;
  /** Number of nested directories under `/deep`. Default 40. */
  depth?: number;
  /** Number of files of 1 to 3 MiB. Default 2. */
  largeFiles?: number;
}

/** What {@link generateTree} made, for tests that check specific features. */
export interface GeneratedTree {
  /** Absolute path of the tree on disk. */
  root: string;
  /** Seed that replays this tree. */
  seed: number;
  /** Image paths ("/a/b") of each hardlink group, first name first. */
  hardlinkGroups: string[][];
  /**
   * Xattrs set with the same name and value on several inodes; mkfs.erofs stores those in its
   * shared xattr area rather than inline.
   */
  sharedXattrs: { name: string; value: Buffer; paths: string[] }[];
  /** Number of names created, root excluded (hardlink names count once each). */
  names: number;
  /** Bytes of regular-file data (each inode counted once). */
  bytes: number;
}

type Kind = "file" | "dir" | "symlink" | "chardev" | "blockdev" | "fifo" | "socket";

/** One inode to create; extra hardlink names are not nodes. */
interface PlannedNode {
  rel: string;
  kind: Kind;
  uid: number;
  gid: number;
  mode: number;
  sec: number;
  nsec: number;
  xattrs: [string, Buffer][];
}

// Owners around the 16-bit boundary: compact EROFS inodes hold 16-bit ids, so anything above 65535
// forces an extended inode. 4294967294 is the largest id chown accepts (-1 means "unchanged").
const IDS = [0, 0, 0, 0, 1, 100, 1000, 65534, 65535, 65536, 100000, 2147483647, 4294967294] as const;

// Timestamps around the 32-bit boundaries (extended EROFS inodes store a u64 second count). The
// upper bound stays below 2^34 - 2^31, the largest time ext4 can hold, so the source tree keeps
// exactly what we set. Negative times are left out: the on-disk field is unsigned.
const TIMES = [0, 1, 1_000_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 8_000_000_000] as const;

// Longest name written. EROFS and Linux allow 255 bytes, but mkfs.erofs 1.5 (the oracle) copies
// names into a 255-byte buffer with strncpy(..., EROFS_NAME_LEN - 1) and then cannot find a
// 255-byte name on disk ("Could not format the device: [Error 2]"); upstream fixed it later.
const MAX_NAME = 254;

// Characters names are built from, weighted towards ASCII; each non-ASCII one has a different
// UTF-8 length (2, 3, 4 bytes) so byte-length limits are hit at every alignment.
const NAME_CHARS = [
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
  ..."abcdefghijklmnopqrstuvwxyz0123456789",
  " ",
  "é",
  "ß",
  "Ω",
  "日",
  "本",
  "🙂",
  "\t",
  "\\",
  "=",
  "'",
  '"',
  "#",
  "%",
  "~",
  ",",
] as const;

/**
 * Writes a random tree under `root` (created if missing; it must be empty). The same seed and
 * options give the same tree, byte for byte and attribute for attribute (inode numbers and ctimes
 * aside), so a failing seed can be replayed. Must run as root: it creates device nodes, sets
 * `trusted.*` xattrs and chowns to arbitrary ids. Needs the `mknod`, `mkfifo` and `setfattr`
 * commands (Debian packages coreutils and attr).
 */
export function generateTree(root: string, seed: number, options: GenTreeOptions = {}): GeneratedTree {
  const chunkSizes = options.chunkSizes ?? [4096, 65536];
  const bigDirEntries = options.bigDirEntries ?? 3000;
  const depth = options.depth ?? 40;
  const largeFiles = options.largeFiles ?? 2;
  const rng = new Prng(seed);
  const b = new TreeBuilder(root);

  b.dir("");

  // Regular files at block and chunk boundaries.
  b.dir("files");
  const sizes = new Set<number>([0, 1, 2, 4095, 4096, 4097, 8191, 8192, 8193]);
  for (const cs of chunkSizes) {
    for (const k of [1, 2]) for (const d of [-1, 0, 1]) sizes.add(k * cs + d);
  }
  for (const size of [...sizes].sort((x, y) => x - y)) {
    // Half random (incompressible), half a repeating pattern, so both raw and deduplicable data
    // appear at every boundary.
    b.file(`files/size-${size}`, rng.chance(0.5) ? rng.bytes(size) : pattern(size, rng.int(1, 300)));
  }
  const dup = rng.bytes(rng.int(1, 10_000));
  b.file("files/dup-a", dup);
  b.file("files/dup-b", dup);
  b.file("files/zeros", Buffer.alloc(3 * 65536));
  for (let i = 0; i < largeFiles; i++) {
    // The first in [2, 3] MiB, the others in [1, 2] MiB: the whole tree stays near 5 MiB.
    const size = i === 0 ? rng.int(2 << 20, 3 << 20) : rng.int(1 << 20, 2 << 20);
    b.file(`files/large-${i}`, i % 2 === 0 ? rng.bytes(size) : pattern(size, rng.int(4000, 70_000)));
  }

  // A directory big enough that its dirents span many blocks, with names up to MAX_NAME bytes.
  b.dir("many");
  const manyFifos: string[] = [];
  for (let i = 0; i < bigDirEntries; i++) {
    const prefix = `${i.toString(36)}_`;
    const r = rng.int(0, 99);
    const len =
      r < 20 ? rng.int(1, 8) : r < 70 ? rng.int(1, MAX_NAME) : r < 90 ? rng.int(240, MAX_NAME) : MAX_NAME;
    const name = prefix + randomName(rng, Math.max(0, len - prefix.length));
    const rel = `many/${name}`;
    const k = rng.int(0, 99);
    if (k < 85) b.file(rel, Buffer.alloc(0));
    else if (k < 90) b.file(rel, rng.bytes(rng.int(1, 100)));
    else if (k < 94) b.dir(rel);
    else if (k < 98) b.symlink(rel, randomName(rng, rng.int(1, 40)));
    else manyFifos.push(rel);
  }
  b.fifos(manyFifos);

  // A deep path.
  let deep = "deep";
  b.dir(deep);
  for (let i = 0; i < depth; i++) {
    deep += `/${i}-${randomName(rng, rng.int(0, 10))}`;
    b.dir(deep);
  }
  b.file(`${deep}/leaf`, rng.bytes(rng.int(0, 5000)));
  b.symlink(`${deep}/up`, "../".repeat(depth));

  // Symlinks: relative, absolute, dangling, to a directory, long targets, a chain.
  b.dir("links");
  b.symlink("links/rel", "../files/size-1");
  b.symlink("links/abs", "/etc/passwd");
  b.symlink("links/dangling", "does/not/exist");
  b.symlink("links/to-dir", "../deep");
  b.symlink("links/trailing-slash", "../files/");
  b.symlink("links/utf8", "日本/🙂/é");
  b.symlink("links/long", longTarget(rng, rng.int(900, 1000)));
  // 4095 bytes is the longest target Linux accepts (PATH_MAX - 1): one byte short of a block.
  b.symlink("links/longest", longTarget(rng, 4095));
  const chain = 4;
  for (let i = 0; i < chain; i++) {
    b.symlink(`links/chain-${i}`, i + 1 < chain ? `chain-${i + 1}` : "../files/size-4096");
  }

  // Device numbers stored by EROFS as new_encode_dev(): 12-bit major, 20-bit minor, with the
  // minor's low byte at bits 0..7 and its high bits at 20..31; these hit each part of that split.
  b.dir("special");
  const devs: [number, number][] = [
    [0, 0],
    [1, 3],
    [8, 255],
    [8, 256],
    [255, 255],
    [256, 0],
    [300, 1000],
    [259, 70_000],
    [4095, 1_048_575],
    [rng.int(0, 4095), rng.int(0, 1_048_575)],
    [rng.int(0, 4095), rng.int(0, 255)],
  ];
  const devRels = devs.map(([major, minor], i) => {
    const type = i % 2 === 0 ? "c" : "b";
    return b.device(`special/${type}-${major}-${minor}`, type, major, minor).rel;
  });
  b.fifos(["special/fifo-0", "special/fifo-1"]);
  b.sockets(["special/sock-0", "special/sock-1"]);

  // Hardlinks, in groups of 2 and 3, across directories, on several inode kinds.
  b.dir("hard");
  b.link("files/size-4097", "hard/a1");
  b.file("hard/b1", rng.bytes(rng.int(1, 70_000)));
  b.link("hard/b1", "hard/b2");
  b.link("hard/b1", `${deep}/b3`);
  b.file("hard/empty-1", Buffer.alloc(0));
  b.link("hard/empty-1", "many/hard-empty-2");
  b.link("special/fifo-0", "hard/fifo-link");
  b.link("links/rel", "hard/symlink-link");
  b.link(devRels[1] ?? "", "hard/dev-link");

  // Attributes. Set after the structure exists; the xattrs are then applied in one setfattr call.
  for (const node of b.nodes) Object.assign(node, randomAttrs(rng, node.kind));
  const shared = planXattrs(rng, b.nodes);
  b.finish();

  return {
    root,
    seed,
    hardlinkGroups: b.hardlinkGroups(),
    sharedXattrs: shared.map((s) => ({ ...s, paths: s.paths.map((p) => `/${p}`) })),
    names: b.names,
    bytes: b.bytes,
  };
}

/**
 * Writes a small fixed tree (a dozen entries, no randomness) for quick tests. Returns the same
 * summary as {@link generateTree}, with `seed` 0.
 */
export function smallTree(root: string): GeneratedTree {
  const b = new TreeBuilder(root);
  const at = (node: PlannedNode | undefined, a: Partial<PlannedNode>): void => {
    if (node) Object.assign(node, a);
  };
  at(b.dir(""), { mode: 0o755, sec: 1_700_000_000 });
  at(b.dir("d"), { mode: 0o2750, uid: 1000, gid: 100, sec: 1_600_000_000, nsec: 250_000_000 });
  at(b.dir("d/sub"), { mode: 0o1777, sec: 1_600_000_001 });
  at(b.file("d/hello.txt", Buffer.from("hello\n")), {
    mode: 0o644,
    sec: 1_500_000_000,
    xattrs: [
      ["user.greeting", Buffer.from("hi")],
      ["user.empty", Buffer.alloc(0)],
    ],
  });
  b.link("d/hello.txt", "hello-link");
  at(b.file("empty", Buffer.alloc(0)), { mode: 0o4755, uid: 70_000, gid: 80_000, sec: 2 ** 32 + 5 });
  at(b.file("four-k", Buffer.alloc(4096, "x")), { mode: 0o600, sec: 1_000_000_000 });
  at(b.symlink("link", "d/hello.txt"), {
    sec: 1_400_000_000,
    xattrs: [["trusted.t", Buffer.from([0, 1, 2])]],
  });
  at(b.symlink("dangling", "/no/such/file"), { sec: 1_400_000_001 });
  at(b.fifos(["fifo"])[0], { mode: 0o640, sec: 1_300_000_000 });
  at(b.device("null-ish", "c", 1, 3), { mode: 0o666, sec: 1_300_000_001 });
  at(b.device("blk-big", "b", 259, 70_000), { mode: 0o660, gid: 6, sec: 1_300_000_002 });
  at(b.sockets(["sock"])[0], { mode: 0o700, sec: 1_300_000_003 });
  at(b.file("é日🙂", Buffer.from("utf8 name\n")), { mode: 0o444, sec: 1_300_000_004 });
  b.finish();
  return {
    root,
    seed: 0,
    hardlinkGroups: b.hardlinkGroups(),
    sharedXattrs: [],
    names: b.names,
    bytes: b.bytes,
  };
}

/** Creates the structure immediately and applies ownership, modes, xattrs and times in `finish`. */
class TreeBuilder {
  readonly nodes: PlannedNode[] = [];
  names = 0;
  bytes = 0;
  readonly #root: string;
  readonly #groups = new Map<string, string[]>();

  constructor(root: string) {
    this.#root = root;
  }

  #abs(rel: string): string {
    return rel === "" ? this.#root : path.join(this.#root, rel);
  }

  #add(rel: string, kind: Kind): PlannedNode {
    const node: PlannedNode = {
      rel,
      kind,
      uid: 0,
      gid: 0,
      mode: 0o644,
      sec: 1_000_000_000,
      nsec: 0,
      xattrs: [],
    };
    this.nodes.push(node);
    if (rel !== "") this.names++;
    return node;
  }

  dir(rel: string): PlannedNode {
    fs.mkdirSync(this.#abs(rel), { recursive: rel === "" });
    const node = this.#add(rel, "dir");
    node.mode = 0o755;
    return node;
  }

  file(rel: string, data: Buffer): PlannedNode {
    fs.writeFileSync(this.#abs(rel), data, { flag: "wx" });
    this.bytes += data.length;
    return this.#add(rel, "file");
  }

  symlink(rel: string, target: string): PlannedNode {
    fs.symlinkSync(target, this.#abs(rel));
    const node = this.#add(rel, "symlink");
    node.mode = 0o777;
    return node;
  }

  device(rel: string, type: "c" | "b", major: number, minor: number): PlannedNode {
    execFileSync("mknod", [this.#abs(rel), type, String(major), String(minor)]);
    return this.#add(rel, type === "c" ? "chardev" : "blockdev");
  }

  fifos(rels: string[]): PlannedNode[] {
    if (rels.length > 0)
      execFileSync(
        "mkfifo",
        rels.map((r) => this.#abs(r)),
      );
    return rels.map((r) => this.#add(r, "fifo"));
  }

  sockets(rels: string[]): PlannedNode[] {
    return rels.map((rel) => {
      const abs = this.#abs(rel);
      // A socket inode survives only if its creator never closes the server: closing unlinks it.
      // A child that exits from inside the listen callback leaves the inode behind. It binds a
      // relative name from the socket's own directory because sun_path holds only 108 bytes.
      const r = spawnSync(
        process.execPath,
        [
          "-e",
          "require('node:net').createServer().listen(process.argv[1], () => process.exit(0))",
          path.basename(abs),
        ],
        { cwd: path.dirname(abs), stdio: "pipe" },
      );
      if (r.status !== 0 || !fs.lstatSync(abs).isSocket()) {
        throw new Error(`could not create socket ${abs}: ${r.stderr?.toString() ?? r.error?.message}`);
      }
      return this.#add(rel, "socket");
    });
  }

  link(existing: string, rel: string): void {
    fs.linkSync(this.#abs(existing), this.#abs(rel));
    this.names++;
    const group = this.#groups.get(existing) ?? [`/${existing}`];
    group.push(`/${rel}`);
    this.#groups.set(existing, group);
  }

  hardlinkGroups(): string[][] {
    return [...this.#groups.values()];
  }

  finish(): void {
    // chown before chmod: chown clears setuid/setgid on regular files.
    for (const n of this.nodes) fs.lchownSync(this.#abs(n.rel), n.uid, n.gid);
    for (const n of this.nodes) if (n.kind !== "symlink") fs.chmodSync(this.#abs(n.rel), n.mode);
    const lines: string[] = [];
    for (const n of this.nodes) {
      if (n.xattrs.length === 0) continue;
      lines.push(`# file: ${escapeForSetfattr(Buffer.from(this.#abs(n.rel)))}`);
      for (const [name, value] of n.xattrs) lines.push(`${name}=0x${value.toString("hex")}`);
      lines.push("");
    }
    if (lines.length > 0) {
      // -h: symlinks get their own xattrs (setfattr would otherwise follow them).
      execFileSync("setfattr", ["-h", "--restore=-"], { input: `${lines.join("\n")}\n` });
    }
    // Times last: every other step above changes ctime only, but creating entries changed the
    // parents' mtimes, and setting a child's times leaves its parent's mtime alone.
    for (const n of this.nodes) {
      const t = n.sec + n.nsec / 1e9;
      fs.lutimesSync(this.#abs(n.rel), t, t);
    }
  }
}

/** `size` bytes repeating a `period`-byte pseudo-text motif. */
function pattern(size: number, period: number): Buffer {
  const motif = Buffer.alloc(period);
  for (let i = 0; i < period; i++) motif[i] = 0x61 + ((i * 7) % 26);
  const out = Buffer.alloc(size);
  for (let off = 0; off < size; off += period) motif.copy(out, off);
  return out;
}

/** A name of at most `maxBytes` UTF-8 bytes (exactly that many when it can be filled). */
function randomName(rng: Prng, maxBytes: number): string {
  let name = "";
  let bytes = 0;
  while (bytes < maxBytes) {
    let ch = rng.pick(NAME_CHARS);
    // A rare newline keeps escaping honest in every tool; no NUL or "/" can appear.
    if (rng.chance(0.002)) ch = "\n";
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) ch = "x";
    name += ch;
    bytes += Buffer.byteLength(ch);
  }
  return name;
}

/** A symlink target of exactly `bytes` UTF-8 bytes made of path components. */
function longTarget(rng: Prng, bytes: number): string {
  let t = "";
  while (Buffer.byteLength(t) < bytes) {
    const room = bytes - Buffer.byteLength(t);
    const part = randomName(rng, Math.min(room, rng.int(1, 60)));
    t += Buffer.byteLength(t) + Buffer.byteLength(part) < bytes ? `${part}/` : part;
  }
  return t;
}

function randomAttrs(rng: Prng, kind: Kind): Partial<PlannedNode> {
  const sec = rng.chance(0.2) ? rng.pick(TIMES) : rng.int(0, 8_000_000_000);
  // Below 999 ms so that the float seconds given to lutimes can never round up to the next second.
  const nsec = rng.chance(0.3) ? 0 : rng.int(0, 998_999_999);
  return {
    uid: rng.pick(IDS),
    gid: rng.pick(IDS),
    // Symlink permissions are always 0777 on Linux; everything else gets all 12 bits at random,
    // setuid, setgid and sticky included.
    mode: kind === "symlink" ? 0o777 : rng.int(0, 0o7777),
    sec,
    nsec,
  };
}

/**
 * Chooses xattrs: a few name/value pairs repeated on several inodes (shared in the image), unique
 * inline ones, empty values, a long name and a long value. `user.*` is only allowed by Linux on
 * regular files and directories; `trusted.*` goes anywhere (root only).
 */
function planXattrs(rng: Prng, nodes: PlannedNode[]): { name: string; value: Buffer; paths: string[] }[] {
  const userOk = nodes.filter((n) => (n.kind === "file" || n.kind === "dir") && n.rel !== "");
  const any = nodes.filter((n) => n.rel !== "");
  const sample = (from: PlannedNode[], k: number): PlannedNode[] => {
    const chosen = new Set<PlannedNode>();
    while (chosen.size < Math.min(k, from.length)) chosen.add(rng.pick(from));
    return [...chosen];
  };
  const shared = [
    { name: "user.shared-a", value: rng.bytes(16), on: sample(userOk, 6) },
    { name: "trusted.shared", value: rng.bytes(40), on: sample(any, 7) },
    { name: "user.shared-empty", value: Buffer.alloc(0), on: sample(userOk, 5) },
  ];
  // Make sure the trusted pair lands on each non-file kind at least once.
  for (const kind of ["symlink", "chardev", "blockdev", "fifo", "socket", "dir"] as const) {
    const n = any.find((x) => x.kind === kind);
    const s = shared[1];
    if (n && s && !s.on.includes(n)) s.on.push(n);
  }
  for (const s of shared) for (const n of s.on) n.xattrs.push([s.name, s.value]);

  for (const n of sample(userOk, 25)) n.xattrs.push(["user.note", rng.bytes(rng.int(1, 64))]);
  for (const n of sample(any, 15)) n.xattrs.push([`trusted.n${rng.int(0, 999)}`, rng.bytes(rng.int(0, 32))]);
  for (const n of sample(userOk, 4)) n.xattrs.push(["user.empty", Buffer.alloc(0)]);
  const [longName, longValue, many] = sample(userOk, 3);
  // Linux caps a name at 255 bytes including the "user." prefix.
  longName?.xattrs.push([`user.${"n".repeat(250)}`, rng.bytes(255)]);
  longValue?.xattrs.push(["user.big-value", rng.bytes(1000)]);
  for (let i = 0; i < 8; i++) many?.xattrs.push([`user.many-${i}`, rng.bytes(i * 3)]);
  // POSIX ACLs: EROFS stores them under name indexes 2 and 3, where the index alone is the name.
  for (const n of sample(userOk, 4)) n.xattrs.push(["system.posix_acl_access", posixAcl(rng, n.mode)]);
  const aclDir = nodes.find((n) => n.kind === "dir" && n.rel !== "");
  aclDir?.xattrs.push(["system.posix_acl_default", posixAcl(rng, aclDir.mode)]);
  // A name set twice on one inode would collapse into one xattr; keep the first of each.
  for (const n of nodes) {
    const seen = new Set<string>();
    n.xattrs = n.xattrs.filter(([name]) => {
      if (seen.has(name)) return false;
      seen.add(name);
      return true;
    });
  }
  return shared.map((s) => ({ name: s.name, value: s.value, paths: s.on.map((n) => n.rel) }));
}

/**
 * An access ACL in the kernel's xattr form (version 2, then tag/perm/id entries) with a named user,
 * so the kernel keeps it as an xattr instead of folding it into the mode. Its owner, mask and other
 * permissions repeat those of `mode`, because setting an ACL rewrites the mode from them.
 */
function posixAcl(rng: Prng, mode: number): Buffer {
  const entries: [number, number, number][] = [
    [0x01, (mode >> 6) & 7, 0xffff_ffff], // ACL_USER_OBJ
    [0x02, rng.int(0, 7), rng.pick(IDS)], // ACL_USER
    [0x04, rng.int(0, 7), 0xffff_ffff], // ACL_GROUP_OBJ
    [0x10, (mode >> 3) & 7, 0xffff_ffff], // ACL_MASK
    [0x20, mode & 7, 0xffff_ffff], // ACL_OTHER
  ];
  const out = Buffer.alloc(4 + 8 * entries.length);
  out.writeUInt32LE(2, 0);
  entries.forEach(([tag, perm, id], i) => {
    out.writeUInt16LE(tag, 4 + 8 * i);
    out.writeUInt16LE(perm, 6 + 8 * i);
    out.writeUInt32LE(id, 8 + 8 * i);
  });
  return out;
}

/** Escapes a path for a setfattr `--restore` dump: `\ooo` for anything outside printable ASCII. */
function escapeForSetfattr(bytes: Buffer): string {
  let out = "";
  for (const byte of bytes) {
    out +=
      byte <= 0x20 || byte >= 0x7f || byte === 0x5c
        ? `\\${byte.toString(8).padStart(3, "0")}`
        : String.fromCharCode(byte);
  }
  return out;
}
