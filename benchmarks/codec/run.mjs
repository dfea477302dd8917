// @ts-check
// The codec benchmark: decode throughput of our chunk `decompress` on Nydus-style 1 MiB chunks
// (zstd frames, raw LZ4 blocks, gzip members) against the zstd, lz4 and gzip CLIs decoding the
// very same compressed data, in the same run. Prints a table and writes results.json.
// See docs/benchmarks-codec.md.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, release, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));

const USAGE = `usage: node benchmarks/codec/run.mjs [options]
  --corpus-mib N  corpus size in MiB (default 64)
  --runs N        measured rounds per decoder, in two blocks; the best is kept (default 6)
  --out FILE      where to write results (default benchmarks/codec/results.json)
  --help`;

// The encoders that make the corpus are this package's own dependencies.
const requireHere = createRequire(import.meta.url);

/**
 * The Nydus default chunk size. Fixed: the lz4 CLI's `-B6` frame blocks are 1 MiB too, which is
 * what lets the CLI decode the very blocks we do.
 */
const chunkSize = 1024 * 1024;

/** MB = 10^6 bytes. */
const MB = 1e6;

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

async function main() {
  const { values } = parseArgs({
    options: {
      "corpus-mib": { type: "string", default: "64" },
      runs: { type: "string", default: "6" },
      out: { type: "string", default: join(here, "results.json") },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const corpusBytes = Number(values["corpus-mib"]) * 1024 * 1024;
  const runs = Number(values.runs);

  for (const tool of ["zstd", "lz4", "gzip"]) {
    if (spawnSync(tool, ["--version"]).status !== 0)
      throw new Error(`${tool} CLI not found (apt-get install ${tool})`);
  }
  const { decompress, decodeLz4Block, decompressZstdJs } = await import("@rafscan/rafs");
  const zstd = requireHere("zstd-napi");
  const fflate = requireHere("fflate");

  const work = mkdtempSync(join(tmpdir(), "rafscan-codec-bench-"));
  try {
    const t0 = performance.now();
    const { corpus, files } = buildCorpus(corpusBytes);
    const chunks = split(corpus, chunkSize);
    console.log(
      `corpus: ${files} files from /usr/lib and /usr/share, ${(corpus.length / 1048576).toFixed(1)} MiB, ` +
        `${chunks.length} chunks of ${chunkSize / 1024} KiB`,
    );
    const corpusPath = join(work, "corpus");
    writeFileSync(corpusPath, corpus);

    // zstd: one level-3 frame per chunk (content size, no checksum), as the Nydus builder writes.
    const compressor = new zstd.Compressor();
    compressor.setParameters({ compressionLevel: 3 });
    const zstdChunks = chunks.map((c) => /** @type {Uint8Array} */ (compressor.compress(c)));
    // The CLI decodes the same frames, concatenated into one .zst file.
    const zstdPath = join(work, "corpus.zst");
    writeFileSync(zstdPath, Buffer.concat(zstdChunks));

    // lz4_block: liblz4 blocks, taken out of an lz4 CLI frame with independent 1 MiB blocks: each
    // block is LZ4 (level 1) of one chunk, exactly what Nydus' LZ4_compress_default writes. Blocks
    // the CLI stored raw are chunks LZ4 cannot shrink; Nydus stores those raw too (codec none).
    const lz4Path = join(work, "corpus.lz4");
    run("lz4", ["-q", "-f", "-1", "-B6", "-BI", "--no-frame-crc", corpusPath, lz4Path]);
    const lz4Chunks = lz4FrameBlocks(readFileSync(lz4Path), chunks);

    // gzip: one member per chunk (default level 6); the CLI reads the concatenated members.
    const gzipChunks = chunks.map((c) => gzipSync(c));
    const gzipPath = join(work, "corpus.gz");
    writeFileSync(gzipPath, Buffer.concat(gzipChunks));
    console.log(`prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const total = corpus.length;
    const zstdDecode = (/** @type {Uint8Array} */ c, /** @type {number} */ n) =>
      decompress("zstd", c, n, "bench");
    // The pure-JS fallback used when zstd-napi does not load (or RAFSCAN_NO_NATIVE=1).
    const fzstdDecode = (/** @type {Uint8Array} */ c, /** @type {number} */ n) =>
      decompressZstdJs(c, n, "bench");
    const lz4Decode = (/** @type {Stored} */ s, /** @type {number} */ n) =>
      decompress(s.raw ? "none" : "lz4_block", s.data, n, "bench");
    const tsDecode = (/** @type {Stored} */ s, /** @type {number} */ n) => {
      if (s.raw) return decompress("none", s.data, n, "bench");
      const out = Buffer.allocUnsafeSlow(n);
      decodeLz4Block(s.data, out, "bench");
      return out;
    };
    const gzipDecode = (/** @type {Uint8Array} */ c, /** @type {number} */ n) =>
      decompress("gzip", c, n, "bench");
    const fflateDecode = (/** @type {Uint8Array} */ c, /** @type {number} */ n) =>
      fflate.gunzipSync(c, { out: new Uint8Array(n) });

    /** @type {Row[]} */
    const rows = [
      ...measure(runs, total, [
        inProcess("zstd", "ours: decompress (zstd-napi)", chunks, zstdChunks, zstdDecode),
        cli("zstd", "zstd -d (CLI)", total, ["zstd", "-d", "-q", "-f", "-c", zstdPath]),
      ]),
      ...measure(runs, total, [
        inProcess("lz4_block", "ours: decompress (lz4-napi)", chunks, lz4Chunks, lz4Decode),
        cli("lz4_block", "lz4 -d (CLI)", total, ["lz4", "-d", "-q", "-f", "-c", lz4Path]),
      ]),
      ...measure(runs, total, [
        inProcess("gzip", "ours: decompress (node:zlib)", chunks, gzipChunks, gzipDecode),
        cli("gzip", "gzip -d (CLI)", total, ["gzip", "-d", "-q", "-c", gzipPath]),
      ]),
      // The alternatives we did not pick, timed on their own.
      ...measure(runs, total, [
        inProcess("lz4_block", "TS decodeLz4Block (fallback)", chunks, lz4Chunks, tsDecode),
      ]),
      ...measure(runs, total, [inProcess("zstd", "fzstd (fallback)", chunks, zstdChunks, fzstdDecode)]),
      ...measure(runs, total, [inProcess("gzip", "fflate gunzipSync", chunks, gzipChunks, fflateDecode)]),
    ];

    printTable(rows);
    const results = {
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        kernel: release(),
        node: process.version,
      },
      tools: Object.fromEntries(["zstd", "lz4", "gzip"].map((t) => [t, version(t)])),
      corpus: {
        bytes: corpus.length,
        files,
        sha256: createHash("sha256").update(corpus).digest("hex"),
        chunkSize,
        chunks: chunks.length,
        compressed: {
          zstd: sum(zstdChunks.map((c) => c.length)),
          lz4_block: sum(lz4Chunks.map((c) => c.data.length)),
          lz4RawChunks: lz4Chunks.filter((c) => c.raw).length,
          gzip: sum(gzipChunks.map((c) => c.length)),
        },
      },
      runs,
      rows,
      ratios: {
        zstd: ratio(rows, "zstd", "ours: decompress (zstd-napi)", "zstd -d (CLI)"),
        lz4_block: ratio(rows, "lz4_block", "ours: decompress (lz4-napi)", "lz4 -d (CLI)"),
        zstd_fzstd: ratio(rows, "zstd", "fzstd (fallback)", "zstd -d (CLI)"),
        lz4_block_ts: ratio(rows, "lz4_block", "TS decodeLz4Block (fallback)", "lz4 -d (CLI)"),
        gzip: ratio(rows, "gzip", "ours: decompress (node:zlib)", "gzip -d (CLI)"),
        gzip_fflate: ratio(rows, "gzip", "fflate gunzipSync", "gzip -d (CLI)"),
      },
    };
    writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nresults written to ${values.out}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * @typedef {object} Row
 * @property {string} codec
 * @property {string} decoder
 * @property {number} bestMs  best round (all chunks, or one CLI process from spawn to exit)
 * @property {number} medianMs
 * @property {number} mbPerSec  uncompressed output bytes / best round, in MB/s (10^6 bytes)
 */
/** @typedef {{ data: Uint8Array, raw: boolean }} Stored */

/**
 * Concatenates regular files from /usr/lib then /usr/share (sorted, breadth-first, symlinks not
 * followed) up to `size` bytes: shared libraries, executables, text, locale data and images, the
 * mix a container layer holds.
 * @param {number} size
 */
function buildCorpus(size) {
  const corpus = Buffer.allocUnsafe(size);
  let filled = 0;
  let files = 0;
  const queue = ["/usr/lib", "/usr/share"];
  while (queue.length > 0 && filled < size) {
    const dir = /** @type {string} */ (queue.shift());
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (filled >= size) break;
      const path = join(dir, e.name);
      if (e.isDirectory()) queue.push(path);
      else if (e.isFile()) {
        try {
          const data = readFileSync(path);
          filled += data.copy(corpus, filled, 0, Math.min(data.length, size - filled));
          files++;
        } catch {
          // unreadable file: skip
        }
      }
    }
  }
  return { corpus: corpus.subarray(0, filled), files };
}

/**
 * @param {Uint8Array} data
 * @param {number} size
 */
function split(data, size) {
  /** @type {Uint8Array[]} */
  const out = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, Math.min(data.length, i + size)));
  return out;
}

/**
 * Splits an LZ4 frame (lz4 frame format: magic, FLG, BD, optional content size and dict id, HC,
 * then u32 block sizes whose top bit means "stored") into its blocks, one per chunk.
 * @param {Buffer} frame
 * @param {Uint8Array[]} chunks
 * @returns {Stored[]}
 */
function lz4FrameBlocks(frame, chunks) {
  if (frame.readUInt32LE(0) !== 0x184d2204) throw new Error("not an LZ4 frame");
  const flg = /** @type {number} */ (frame[4]);
  if (flg & 0x10) throw new Error("unexpected block checksums");
  let pos = 4 + 2 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
  /** @type {Stored[]} */
  const blocks = [];
  for (;;) {
    const word = frame.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    blocks.push({ data: frame.subarray(pos, pos + size), raw: (word & 0x80000000) !== 0 });
    pos += size;
  }
  if (blocks.length !== chunks.length)
    throw new Error(`lz4 frame has ${blocks.length} blocks, expected ${chunks.length}`);
  return blocks;
}

/**
 * @typedef {object} Case
 * @property {string} codec
 * @property {string} decoder
 * @property {() => number} round  decodes everything once and returns the wall time in ms
 */

/**
 * An in-process decoder. Checks once, untimed, that it gives back every chunk.
 * @template T
 * @param {string} codec
 * @param {string} decoder
 * @param {Uint8Array[]} chunks  the original chunks
 * @param {T[]} stored  the same chunks as stored
 * @param {(c: T, n: number) => Uint8Array} decode
 * @returns {Case}
 */
function inProcess(codec, decoder, chunks, stored, decode) {
  chunks.forEach((chunk, i) => {
    const out = decode(/** @type {T} */ (stored[i]), chunk.length);
    if (Buffer.compare(out, chunk) !== 0) throw new Error(`${decoder}: chunk ${i} decodes wrong`);
  });
  const sizes = chunks.map((c) => c.length);
  return {
    codec,
    decoder,
    round() {
      const start = performance.now();
      for (let i = 0; i < stored.length; i++)
        decode(/** @type {T} */ (stored[i]), /** @type {number} */ (sizes[i]));
      return performance.now() - start;
    },
  };
}

/**
 * A CLI decoding the whole file, timed spawn to exit with its output going to /dev/null. It is
 * run once first with the output piped back, to check its length (and warm the page cache).
 * @param {string} codec
 * @param {string} decoder
 * @param {number} total
 * @param {string[]} argv  a command writing the decoded data to stdout
 * @returns {Case}
 */
function cli(codec, decoder, total, argv) {
  const [cmd, ...args] = /** @type {[string, ...string[]]} */ (argv);
  const check = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: total + 1024 * 1024 });
  if (check.status !== 0) throw new Error(`${argv.join(" ")} failed: ${check.stderr}`);
  if (check.stdout.length !== total)
    throw new Error(`${cmd} wrote ${check.stdout.length} bytes, expected ${total}`);
  return {
    codec,
    decoder,
    round() {
      const devNull = openSync("/dev/null", "w");
      try {
        const start = performance.now();
        const res = spawnSync(cmd, args, { stdio: ["ignore", devNull, "pipe"] });
        const ms = performance.now() - start;
        if (res.status !== 0) throw new Error(`${argv.join(" ")} failed: ${res.stderr}`);
        return ms;
      } finally {
        closeSync(devNull);
      }
    },
  };
}

/**
 * Times the cases of one codec: each case runs one untimed warm-up round and then `runs` timed
 * rounds back to back; the whole sequence is done twice (A, B, A, B) so that a change of load
 * from other processes during the run hits every case.
 *
 * Rounds are not interleaved one by one: every CLI spawn forks this process, after which the
 * first writes to each heap page fault again (copy-on-write), which would slow the next
 * in-process round by a third or more, a cost a real reader never pays. The warm-up absorbs it.
 * @param {number} runs
 * @param {number} total  uncompressed bytes one round produces
 * @param {Case[]} cases
 * @returns {Row[]}
 */
function measure(runs, total, cases) {
  /** @type {number[][]} */
  const times = cases.map(() => []);
  const perBlock = Math.max(1, Math.ceil(runs / 2));
  for (let block = 0; block < 2; block++) {
    for (const [i, c] of cases.entries()) {
      c.round();
      for (let r = 0; r < perBlock; r++) times[i]?.push(c.round());
    }
  }
  return cases.map((c, i) => summarize(c.codec, c.decoder, total, /** @type {number[]} */ (times[i])));
}

/**
 * @param {string} codec
 * @param {string} decoder
 * @param {number} total
 * @param {number[]} times
 * @returns {Row}
 */
function summarize(codec, decoder, total, times) {
  const sorted = [...times].sort((a, b) => a - b);
  const bestMs = /** @type {number} */ (sorted[0]);
  const medianMs = /** @type {number} */ (sorted[Math.floor(sorted.length / 2)]);
  const r = {
    codec,
    decoder,
    bestMs: round(bestMs),
    medianMs: round(medianMs),
    mbPerSec: Math.round(total / MB / (bestMs / 1000)),
  };
  console.log(`  ${codec.padEnd(10)} ${decoder.padEnd(30)} ${String(r.mbPerSec).padStart(6)} MB/s`);
  return r;
}

/**
 * @param {Row[]} rows
 * @param {string} codec
 * @param {string} ours
 * @param {string} cli
 */
function ratio(rows, codec, ours, cli) {
  const a = rows.find((r) => r.codec === codec && r.decoder === ours);
  const b = rows.find((r) => r.codec === codec && r.decoder === cli);
  return a && b ? round(a.mbPerSec / b.mbPerSec) : null;
}

/** @param {Row[]} rows */
function printTable(rows) {
  console.log(
    `\n${"codec".padEnd(10)} ${"decoder".padEnd(30)} ${"MB/s".padStart(6)} ${"best ms".padStart(8)} ${"vs CLI".padStart(7)}`,
  );
  for (const r of rows) {
    const cli = rows.find((c) => c.codec === r.codec && c.decoder.endsWith("(CLI)"));
    const rel = cli ? `${Math.round((100 * r.mbPerSec) / cli.mbPerSec)}%` : "";
    console.log(
      `${r.codec.padEnd(10)} ${r.decoder.padEnd(30)} ${String(r.mbPerSec).padStart(6)} ${r.bestMs.toFixed(1).padStart(8)} ${rel.padStart(7)}`,
    );
  }
}

/**
 * @param {string} cmd
 * @param {string[]} args
 */
function run(cmd, args) {
  const res = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${res.stderr}`);
}

/** @param {string} tool */
function version(tool) {
  const res = spawnSync(tool, ["--version"], { encoding: "utf8" });
  return `${res.stdout}${res.stderr}`.split("\n")[0]?.trim() ?? "";
}

/** @param {number[]} xs */
function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}

/** @param {number} x */
function round(x) {
  return Math.round(x * 100) / 100;
}
