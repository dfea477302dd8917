// Reads the bootstrap out of a Nydus bootstrap layer: a tar (gzip'd, or not) holding
// `image/image.boot` (reference section 6.1). The whole layer is read, so that the stream's digest
// check runs before the bootstrap is trusted; only the bootstrap's bytes are kept.
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { RegistryError, RegistryErrorCode } from "../errors.js";

const BLOCK = 512;
const NAMES = new Set(["image/image.boot", "./image/image.boot", "image.boot"]);
/** Bytes of other tar entries skipped before giving up: a bootstrap layer holds little else. */
const MAX_SKIPPED = 256 * 1024 * 1024;

/**
 * Returns `image/image.boot` from the bootstrap layer `stream` (its digest checked by the stream).
 * @throws RegistryError `REGISTRY_BAD_IMAGE` (not a tar, no image.boot, larger than `maxSize`)
 */
export async function extractBootstrap(stream: Readable, maxSize: number, name: string): Promise<Uint8Array> {
  const bad = (why: string) =>
    new RegistryError(RegistryErrorCode.BAD_IMAGE, `${name}: bootstrap layer ${why}`);
  const head = await firstBytes(stream);
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  let source: AsyncIterable<Buffer>;
  if (gzip) {
    const gunzip = createGunzip();
    gunzip.on("error", () => {});
    stream.on("error", (err) => gunzip.destroy(err));
    gunzip.write(head);
    stream.pipe(gunzip);
    source = gunzip;
  } else {
    source = (async function* () {
      yield head;
      yield* stream as AsyncIterable<Buffer>;
    })();
  }
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let found: Uint8Array | undefined;
  // State: reading a header, or the data of an entry (kept or skipped) plus its padding.
  const need = BLOCK;
  let mode: "header" | "keep" | "skip" = "header";
  let keep: Uint8Array | undefined;
  let kept = 0;
  let skipped = 0;
  let dataLeft = 0;
  let ended = false;
  try {
    for await (const chunk of source) {
      let off = 0;
      while (off < chunk.length && !ended) {
        if (mode === "header") {
          const take = Math.min(need - pendingLength, chunk.length - off);
          pending.push(chunk.subarray(off, off + take));
          pendingLength += take;
          off += take;
          if (pendingLength < need) break;
          const h = Buffer.concat(pending, pendingLength);
          pending = [];
          pendingLength = 0;
          if (h.every((b) => b === 0)) {
            ended = true;
            break;
          }
          const entry = parseHeader(h, bad);
          dataLeft = entry.size + ((BLOCK - (entry.size % BLOCK)) % BLOCK);
          if (NAMES.has(entry.name) && (entry.type === "0" || entry.type === "\0")) {
            if (entry.size > maxSize)
              throw bad(`holds a bootstrap of ${entry.size} bytes, more than maxBootstrapSize ${maxSize}`);
            keep = new Uint8Array(entry.size);
            kept = 0;
            mode = "keep";
          } else {
            skipped += entry.size;
            if (skipped > MAX_SKIPPED)
              throw bad(`has more than ${MAX_SKIPPED} bytes besides image/image.boot`);
            mode = "skip";
          }
          if (dataLeft === 0) {
            if (mode === "keep") found = keep;
            mode = "header";
          }
          continue;
        }
        const take = Math.min(dataLeft, chunk.length - off);
        if (mode === "keep" && keep !== undefined && kept < keep.length) {
          const n = Math.min(take, keep.length - kept);
          keep.set(chunk.subarray(off, off + n), kept);
          kept += n;
        }
        off += take;
        dataLeft -= take;
        if (dataLeft === 0) {
          if (mode === "keep") found = keep;
          mode = "header";
        }
      }
    }
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    throw bad(`is not a readable tar: ${(err as Error).message}`);
  }
  // The loop reads on past the tar's end marker to the end of the stream, so the layer's digest
  // has been checked by now.
  if (found === undefined) throw bad("has no image/image.boot");
  return found;
}

async function firstBytes(stream: Readable): Promise<Buffer> {
  for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    if (chunk.length > 0) return chunk;
  }
  return Buffer.alloc(0);
}

function parseHeader(
  h: Buffer,
  bad: (why: string) => RegistryError,
): { name: string; size: number; type: string } {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  const stored = Number.parseInt(
    h.subarray(148, 156).toString("latin1").replace(/\0.*$/s, "").trim() || "x",
    8,
  );
  if (sum !== stored) throw bad("is not a tar (header checksum mismatch)");
  const field = (a: number, b: number) => {
    const s = h.subarray(a, b);
    const nul = s.indexOf(0);
    return s.subarray(0, nul === -1 ? s.length : nul).toString("utf8");
  };
  const prefix = h.subarray(257, 262).toString("latin1") === "ustar" ? field(345, 500) : "";
  const base = field(0, 100);
  const sizeText = field(124, 136).trim();
  const size = /^[0-7]+$/.test(sizeText) ? Number.parseInt(sizeText, 8) : Number.NaN;
  if (!Number.isSafeInteger(size)) throw bad(`has a tar entry with a bad size "${sizeText}"`);
  return { name: prefix === "" ? base : `${prefix}/${base}`, size, type: String.fromCharCode(h[156] ?? 0) };
}
