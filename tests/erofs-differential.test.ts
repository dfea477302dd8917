// Differential test: `rafscan ls -R --json --sha256` on images built by Debian's mkfs.erofs 1.5 must
// list exactly the source tree (listTree), and agree with `fsck.erofs --extract` on the content.
// Replay seeds with RAFSCAN_EROFS_SEEDS=7,8 (full-size trees). Run time is dominated by
// fsck.erofs --extract writing thousands of files; on a slow disk TMPDIR=/dev/shm makes it ~3x faster.

import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { diffListings, maskForExtract, parseListing } from "./helpers/compare-listings.js";
import {
  dumpInode,
  erofsSkipReason,
  fsckErofs,
  makeTempDir,
  mkfsErofs,
  RAFSCAN_MAIN,
  removeTempDir,
  runRafscan,
  runRafscanRaw,
} from "./helpers/erofs-tools.js";
import { EROFS_VARIANTS } from "./helpers/erofs-variants.js";
import { type GenTreeOptions, generateTree } from "./helpers/gen-tree.js";
import { type Entry, listTree } from "./helpers/list-tree.js";

const skipReason = erofsSkipReason();
// By default a full tree for seed 1 and a lighter one (fewer entries in the big directory, one
// large file) for seed 2, to stay within a minute on two cores.
const DEFAULT_SEEDS: readonly { seed: number; options: GenTreeOptions }[] = [
  { seed: 1, options: {} },
  { seed: 2, options: { bigDirEntries: 600, largeFiles: 1 } },
];
// A listed seed that is also a default one keeps its options, so a failure replays exactly.
const SEEDS = process.env.RAFSCAN_EROFS_SEEDS
  ? process.env.RAFSCAN_EROFS_SEEDS.split(",").map((s) => {
      const seed = Number.parseInt(s, 10);
      return DEFAULT_SEEDS.find((d) => d.seed === seed) ?? { seed, options: {} };
    })
  : DEFAULT_SEEDS;

// Files whose bytes are also read back with `rafscan cat` (a chunk boundary, the largest file, a
// hardlink), in the variants that change where data lives, for the first seed. `ls --sha256`
// already hashes every file in every variant; each cat costs a process start, so the list is short.
const CAT_PATHS = ["/files/size-65537", "/files/large-0", "/hard/b2"];
const CAT_VARIANTS = new Set(["default", "chunksize=65536", "chunksize=4096+blobdev"]);

describe.skipIf(skipReason !== undefined)(
  `EROFS differential vs mkfs.erofs 1.5${skipReason ? ` [skipped: ${skipReason}]` : ""}`,
  () => {
    let tmp = "";

    beforeAll(() => {
      if (!fs.existsSync(RAFSCAN_MAIN)) {
        throw new Error(`rafscan is not built (${RAFSCAN_MAIN} missing): run \`npx -y pnpm@10 run build\``);
      }
      tmp = makeTempDir("erofs-diff");
    });
    afterAll(() => removeTempDir(tmp));

    describe.each(SEEDS)("seed $seed", ({ seed, options }) => {
      let src = "";
      let source: Entry[] = [];

      beforeAll(() => {
        src = path.join(tmp, `seed-${seed}`);
        generateTree(src, seed, options);
        source = listTree(src);
      });

      test.each(EROFS_VARIANTS)("$name", (variant) => {
        const where = `seed ${seed}, variant ${variant.name} (replay: RAFSCAN_EROFS_SEEDS=${seed})`;
        const dir = path.join(tmp, `seed-${seed}-${variant.name}`);
        fs.mkdirSync(dir);
        try {
          const image = path.join(dir, "image.erofs");
          const blob = variant.blob ? path.join(dir, "blob") : undefined;
          mkfsErofs(image, src, [...variant.args, ...(blob ? [`--blobdev=${blob}`] : [])]);
          const device = blob ? { device: blob } : {};
          const expected = variant.expect ? source.map(variant.expect) : source;
          const extractDir = path.join(dir, "extracted");
          // Extraction runs all of fsck's checks as well: the image must be sound.
          const ex = fsckErofs(image, { ...device, extractTo: extractDir });
          expect(ex.code, `fsck.erofs --extract: ${ex.stderr}`).toBe(0);
          const extracted = listTree(extractDir, { xattrs: false });
          // The expectation for this variant is mkfs.erofs's behaviour as fsck.erofs sees it, before
          // our reader is involved at all.
          expect(
            diffListings(expected, extracted, { mask: maskForExtract }),
            `${where}: expectation vs fsck.erofs`,
          ).toEqual([]);

          const ls = runRafscan(["ls", image, "-R", "--json", "--sha256", ...(blob ? ["--blob", blob] : [])]);
          expect(ls.code, `${where}: rafscan ls failed: ${ls.stderr}`).toBe(0);
          const parsed = parseListing(ls.stdout);
          expect(parsed.problems.slice(0, 20), `${where}: listing format`).toEqual([]);
          expect(diffListings(expected, parsed.entries), `${where}: rafscan vs source tree`).toEqual([]);
          expect(
            diffListings(extracted, parsed.entries, { mask: maskForExtract }),
            `${where}: rafscan vs fsck.erofs --extract`,
          ).toEqual([]);

          const catPaths = seed === SEEDS[0]?.seed && CAT_VARIANTS.has(variant.name) ? CAT_PATHS : [];
          for (const p of catPaths) {
            const cat = runRafscanRaw(["cat", image, p, ...(blob ? ["--blob", blob] : [])]);
            expect(cat.code, `${where}: rafscan cat ${p}: ${cat.stderr}`).toBe(0);
            expect(
              cat.stdout.equals(fs.readFileSync(path.join(src, p))),
              `${where}: rafscan cat ${p} bytes`,
            ).toBe(true);
          }
        } finally {
          removeTempDir(dir);
        }
      });
    });

    test("an lz4-compressed EROFS file is refused with RAFS_UNSUPPORTED", () => {
      const src = path.join(tmp, "lz4-src");
      fs.mkdirSync(src);
      // Repetitive text: lz4 shrinks it by far more than the block mkfs.erofs requires to keep it compressed.
      fs.writeFileSync(path.join(src, "text"), "the quick brown fox jumps over the lazy dog\n".repeat(6000));
      const image = path.join(tmp, "lz4.erofs");
      mkfsErofs(image, src, ["-zlz4"]);
      expect(fsckErofs(image).code).toBe(0);
      // EROFS_INODE_FLAT_COMPRESSION_LEGACY = 1, EROFS_INODE_FLAT_COMPRESSION = 3: make sure the
      // file really is stored compressed, or the test would prove nothing.
      expect([1, 3]).toContain(dumpInode(image, "/text").layout);
      const r = runRafscan(["cat", image, "/text"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/UNSUPPORTED/);
    });
  },
);
