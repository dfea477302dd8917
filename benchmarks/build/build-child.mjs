// @ts-check
// One measured build in its own process (so peak RSS is its own). Prints one JSON line.
//
// usage: node build-child.mjs dir SRC OUT [compressor]
//        node build-child.mjs synthetic MIB OUT [compressor]   (a generated tar stream of MIB MiB)
import { rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { buildImage, readDirectory, readTar } from "@rafscan/builder";

const [kind, arg, out, compressor = "zstd"] = process.argv.slice(2);
if ((kind !== "dir" && kind !== "synthetic") || arg === undefined || out === undefined) {
  process.stderr.write(
    "usage: node build-child.mjs dir SRC OUT [compressor] | synthetic MIB OUT [compressor]\n",
  );
  process.exit(2);
}
rmSync(out, { recursive: true, force: true });

/**
 * A tar stream of 1 MiB files whose content compresses about 3:1 (text-like, not repetitive
 * enough to deduplicate), generated on the fly so the input itself takes no memory.
 * @param {number} mib
 */
async function* syntheticTar(mib) {
  const header = (/** @type {string} */ name, /** @type {number} */ size, /** @type {string} */ type) => {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write("0000644\0", 100);
    h.write("0000000\0", 108);
    h.write("0000000\0", 116);
    h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
    h.write("00000000000\0", 136);
    h.write(type, 156);
    h.write("ustar\0", 257);
    h.write("00", 263);
    h.fill(" ", 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    return h;
  };
  yield header("data/", 0, "5");
  let seed = 0x1234567;
  const words = ["alpha ", "beta ", "gamma ", "delta ", "kernel ", "package ", "version ", "0.1.2 ", "\n"];
  for (let i = 0; i < mib; i++) {
    const body = Buffer.alloc(1024 * 1024);
    let at = 0;
    while (at < body.length) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const w = words[seed % words.length] ?? " ";
      at += body.write(`${w}${(seed >>> 8) & 0xffff} `, at);
    }
    yield header(`data/f${i}`, body.length, "0");
    yield body;
  }
  yield Buffer.alloc(1024);
}

const started = performance.now();
const layer = kind === "dir" ? readDirectory(arg) : readTar(syntheticTar(Number(arg)));
const result = await buildImage([layer], { outDir: out, compressor: /** @type {any} */ (compressor) });
const ms = performance.now() - started;
const blobBytes = result.blobs.reduce((n, b) => n + b.size, 0);
process.stdout.write(
  `${JSON.stringify({
    ms,
    entries: result.progress.entries,
    files: result.progress.files,
    bytesIn: result.progress.bytesIn,
    blobBytes,
    chunks: result.progress.chunks,
    dedupedChunks: result.progress.dedupedChunks,
    maxRssKiB: process.resourceUsage().maxRSS,
  })}\n`,
);
