// The sample image the CLI uses when no IMAGE is given: a tiny Debian-like root filesystem,
// built on first use with @rafscan/builder as a RAFS v6 image (zstd chunks, blob meta, TOC) and
// kept in a cache directory, so `rafscan ls` works on a fresh machine with nothing to download.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, type SourceEntry } from "@rafscan/builder";

const MTIME = 1_700_000_000; // fixed, so the sample is byte-identical everywhere

const OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`;

const DPKG_STATUS = `Package: base-files
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 340
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12987
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u7
Description: GNU C Library: Shared libraries
`;

const CHANGELOG = Array.from(
  { length: 3000 },
  (_, i) => `line ${String(i).padStart(5, "0")} of the sample changelog\n`,
).join("");
const HELLO = "#!/bin/sh\necho hello from the rafscan sample\n";

type Spec = Omit<SourceEntry, "uid" | "gid" | "mtimeSec" | "mtimeNsec" | "xattrs" | "size" | "data"> & {
  content?: string;
};

/** The sample tree, parents before children. */
export const SAMPLE_TREE: readonly Spec[] = [
  { path: "", type: "dir", mode: 0o755 },
  { path: "etc", type: "dir", mode: 0o755 },
  { path: "etc/debian_version", type: "file", mode: 0o644, content: "12.5\n" },
  { path: "etc/os-release", type: "symlink", mode: 0o777, target: "../usr/lib/os-release" },
  { path: "tmp", type: "dir", mode: 0o1777 },
  { path: "usr", type: "dir", mode: 0o755 },
  { path: "usr/bin", type: "dir", mode: 0o755 },
  { path: "usr/bin/hello", type: "file", mode: 0o755, content: HELLO },
  { path: "usr/bin/hello-again", type: "hardlink", mode: 0o755, target: "usr/bin/hello" },
  { path: "usr/lib", type: "dir", mode: 0o755 },
  { path: "usr/lib/os-release", type: "file", mode: 0o644, content: OS_RELEASE },
  { path: "usr/share", type: "dir", mode: 0o755 },
  { path: "usr/share/doc", type: "dir", mode: 0o755 },
  { path: "usr/share/doc/base-files", type: "dir", mode: 0o755 },
  { path: "usr/share/doc/base-files/changelog", type: "file", mode: 0o644, content: CHANGELOG },
  { path: "var", type: "dir", mode: 0o755 },
  { path: "var/lib", type: "dir", mode: 0o755 },
  { path: "var/lib/dpkg", type: "dir", mode: 0o755 },
  { path: "var/lib/dpkg/status", type: "file", mode: 0o644, content: DPKG_STATUS },
];

async function* sampleEntries(): AsyncGenerator<SourceEntry> {
  for (const { content, ...s } of SAMPLE_TREE) {
    const data = content === undefined ? undefined : new TextEncoder().encode(content);
    yield {
      ...s,
      uid: 0,
      gid: 0,
      mtimeSec: MTIME,
      mtimeNsec: 0,
      xattrs: new Map(),
      size: data?.length ?? 0,
      ...(data === undefined
        ? {}
        : {
            data: (async function* () {
              yield data;
            })(),
          }),
    };
  }
}

/** Build options of the sample: RAFS v6, zstd, 64 KiB chunks (so the changelog spans two). */
const SAMPLE_OPTIONS = {
  fsVersion: 6,
  compressor: "zstd",
  digester: "blake3",
  chunkSize: 64 * 1024,
} as const;

/** Where the sample lives: `$XDG_CACHE_HOME/rafscan` or `~/.cache/rafscan`, else the temp dir. */
function cacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME ?? (homedir() ? join(homedir(), ".cache") : tmpdir());
  return join(base, "rafscan");
}

/** Builds the sample (once per content version) and returns its directory (bootstrap, blobs/). */
export async function sampleImage(): Promise<string> {
  const version = createHash("sha256")
    .update(JSON.stringify({ SAMPLE_TREE, SAMPLE_OPTIONS, MTIME }))
    .digest("hex")
    .slice(0, 16);
  const dir = join(cacheRoot(), `sample-${version}`);
  if (existsSync(join(dir, "bootstrap"))) return dir;
  // Build beside it and rename, so a concurrent or interrupted build never leaves half an image.
  const tmp = `${dir}.tmp-${process.pid}`;
  await mkdir(tmp, { recursive: true });
  try {
    await buildImage([sampleEntries()], { outDir: tmp, ...SAMPLE_OPTIONS });
    await rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}
