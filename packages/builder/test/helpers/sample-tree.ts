// Test-only: makes a real directory tree holding every entry type with known metadata (modes with
// setuid/sticky bits, owners, nanosecond times, xattrs in every namespace, device numbers, long
// and odd names) and returns what a reader must report for it.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, chownSync, lchownSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What the tree holds at one path, as the test made it. */
export interface ExpectedEntry {
  readonly path: string;
  readonly type: "file" | "dir" | "symlink" | "chardev" | "blockdev" | "fifo" | "hardlink";
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  readonly content?: Buffer;
  readonly target?: string;
  readonly rdev?: { major: number; minor: number };
  readonly xattrs: ReadonlyMap<string, Uint8Array>;
}

/** Which parts a tar format can carry. */
export interface SampleOptions {
  /** xattrs (PAX only). */
  readonly xattrs: boolean;
  /** Names over 100 bytes and times before 1970 (not ustar). */
  readonly long: boolean;
  /** Device nodes (need root). */
  readonly devices: boolean;
}

export const IS_ROOT = process.getuid?.() === 0;
export const HAVE_SETFATTR = spawnSync("setfattr", ["--version"]).status === 0;
export const HAVE_GETFATTR = spawnSync("getfattr", ["--version"]).status === 0;

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
}

/** Deterministic pseudo-random bytes. */
export function noise(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/**
 * Fills the empty directory `root` and returns the expected entries keyed by path ("" is the
 * root). Hardlinks: the byte-wise first name is the file, the others link to it.
 */
export function makeSampleTree(root: string, opts: SampleOptions): Map<string, ExpectedEntry> {
  const expected = new Map<string, ExpectedEntry>();
  const times: [string, number, number][] = [];
  const add = (
    path: string,
    type: ExpectedEntry["type"],
    mode: number,
    extra: Partial<ExpectedEntry> & { sec?: number; nsec?: number; owner?: [number, number] } = {},
  ) => {
    const abs = path === "" ? root : join(root, path);
    const [uid, gid] = extra.owner ?? [0, 0];
    const sec = extra.sec ?? 1_600_000_000 + expected.size;
    const nsec = extra.nsec ?? (opts.xattrs ? 123_456_789 : 0);
    switch (type) {
      case "dir":
        if (path !== "") mkdirSync(abs);
        break;
      case "file":
        writeFileSync(abs, extra.content ?? Buffer.alloc(0));
        break;
      case "symlink":
        symlinkSync(extra.target as string, abs);
        break;
      case "hardlink":
        linkSync(join(root, extra.target as string), abs);
        break;
      case "fifo":
        run("mkfifo", [abs]);
        break;
      case "chardev":
      case "blockdev": {
        const r = extra.rdev as { major: number; minor: number };
        run("mknod", [abs, type === "chardev" ? "c" : "b", String(r.major), String(r.minor)]);
        break;
      }
    }
    if (type !== "hardlink") {
      if (IS_ROOT) (type === "symlink" ? lchownSync : chownSync)(abs, uid, gid);
      times.push([abs, sec, nsec]);
    }
    // After chown, which clears setuid and setgid bits.
    if (type !== "symlink" && type !== "hardlink") chmodSync(abs, mode);
    const xattrs = new Map<string, Uint8Array>();
    if (opts.xattrs && extra.xattrs !== undefined) {
      for (const [name, value] of extra.xattrs) {
        // trusted.* and security.* need CAP_SYS_ADMIN / CAP_SETFCAP.
        if (!IS_ROOT && !name.startsWith("user.")) continue;
        run("setfattr", ["-h", "-n", name, "-v", `0x${Buffer.from(value).toString("hex")}`, abs]);
        xattrs.set(name, value);
      }
    }
    const target = type === "hardlink" ? expected.get(extra.target as string) : undefined;
    expected.set(path, {
      path,
      type,
      mode: target?.mode ?? mode,
      uid: target?.uid ?? (IS_ROOT ? uid : (process.getuid?.() ?? 0)),
      gid: target?.gid ?? (IS_ROOT ? gid : (process.getgid?.() ?? 0)),
      mtimeSec: target?.mtimeSec ?? sec,
      mtimeNsec: target?.mtimeNsec ?? nsec,
      xattrs: target?.xattrs ?? xattrs,
      ...(extra.content !== undefined ? { content: extra.content } : {}),
      ...(extra.target !== undefined ? { target: extra.target } : {}),
      ...(extra.rdev !== undefined ? { rdev: extra.rdev } : {}),
    });
  };
  const bin = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

  add("", "dir", 0o755);
  add("dir", "dir", 0o750, { owner: [1000, 2000], xattrs: new Map([["user.dirattr", bin("v")]]) });
  add("dir/file.txt", "file", 0o644, {
    content: Buffer.from("hello\n"),
    owner: opts.long ? [4_000_000_000, 65534] : [1234, 65534],
    xattrs: new Map([
      ["user.a", bin("\x00\xff\n")],
      ["user.empty", bin("")],
      ["trusted.t", bin("hi")],
      [
        "security.capability",
        bin("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
      ],
    ]),
  });
  add("dir/empty", "file", 0o600);
  add("dir/big.bin", "file", 0o644, { content: noise(3 * 1024 * 1024 + 123, 7) });
  add("dir/setuid", "file", 0o4755, { content: Buffer.from("#!/bin/sh\n") });
  add("dir/setgid-dir", "dir", 0o2775);
  add("sticky", "dir", 0o1777);
  add("links", "dir", 0o755);
  add("links/dangling", "symlink", 0o777, {
    target: "/nonexistent/target",
    xattrs: new Map([["trusted.s", bin("1")]]),
  });
  add("links/hard1", "file", 0o640, { content: Buffer.from("linked\n"), owner: [7, 8] });
  add("links/hard2", "hardlink", 0, { target: "links/hard1" });
  add("links/sub", "dir", 0o755);
  add("links/sub/hard3", "hardlink", 0, { target: "links/hard1" });
  add("links/sym", "symlink", 0o777, { target: "../dir/file.txt" });
  add("names", "dir", 0o755);
  add("names/back\\slash=eq", "file", 0o644, { content: Buffer.from("1") });
  add("names/sp ace", "file", 0o644, { content: Buffer.from("2") });
  add("names/h\u00e9llo w\u00f6rld \u2713", "file", 0o644, { content: Buffer.from("3") });
  add("names/\u{1f600}", "file", 0o644, { content: Buffer.from("4") });
  add("names/\uffee", "file", 0o644, { content: Buffer.from("5") });
  add("fifo", "fifo", 0o644);
  if (opts.devices) {
    add("devs", "dir", 0o755);
    add("devs/null", "chardev", 0o666, { rdev: { major: 1, minor: 3 } });
    add("devs/loop0", "blockdev", 0o660, { rdev: { major: 7, minor: 0 } });
    add("devs/big", "chardev", 0o600, { rdev: { major: 300, minor: 70000 } });
  }
  if (opts.long) {
    const d = "d".repeat(120);
    add("long", "dir", 0o755);
    add(`long/${d}`, "dir", 0o755);
    add(`long/${d}/${"f".repeat(200)}`, "file", 0o644, { content: Buffer.from("long\n") });
    add("long/newline\nname", "file", 0o644, { content: Buffer.from("nl") });
    add("old", "file", 0o644, {
      content: Buffer.from("old"),
      sec: -101,
      nsec: opts.xattrs ? 750_000_000 : 0,
    });
  }
  // Times last, deepest first, so creating children does not move a directory's mtime.
  for (const [abs, sec, nsec] of times.reverse()) {
    // touch reads a decimal number: sec -101 + 750000000 ns is "-100.250000000".
    const neg = sec < 0 && nsec > 0;
    const whole = neg ? sec + 1 : sec;
    const frac = String(neg ? 1_000_000_000 - nsec : nsec).padStart(9, "0");
    run("touch", ["-h", "-d", `@${whole === 0 && neg ? "-0" : whole}.${frac}`, abs]);
  }
  return expected;
}
