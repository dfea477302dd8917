// Builds `.go.buildinfo` section contents for tests, in the inline format of Go >= 1.18 and the
// pointer format of Go 1.13-1.17 (see src/golang/build-info.ts for the layout).

const MAGIC = [0xff, 0x20, 0x47, 0x6f, 0x20, 0x62, 0x75, 0x69, 0x6c, 0x64, 0x69, 0x6e, 0x66, 0x3a];
/** The sentinels the go command puts around modinfo (cmd/go/internal/modload). */
export const SENTINEL_START = Uint8Array.from(Buffer.from("3077af0c9274080241e1c107e6d618e6", "hex"));
export const SENTINEL_END = Uint8Array.from(Buffer.from("f932433186182072008242104116d8f2", "hex"));

function uvarint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** modinfo framed by the sentinels, as the linker stores it. */
export function framedModinfo(modinfo: string): Uint8Array {
  return Uint8Array.from([...SENTINEL_START, ...new TextEncoder().encode(modinfo), ...SENTINEL_END]);
}

/** Inline format: header with flags 0x2, then varint-prefixed version and modinfo. */
export function inlineBuildInfo(goVersion: string, modinfo: Uint8Array): Uint8Array {
  const v = new TextEncoder().encode(goVersion);
  const header = new Uint8Array(32);
  header.set(MAGIC, 0);
  header[14] = 8;
  header[15] = 0x2;
  return Uint8Array.from([...header, ...uvarint(v.length), ...v, ...uvarint(modinfo.length), ...modinfo]);
}

/**
 * Pointer format for a section loaded at `addr` (64-bit little-endian): the header's two pointers
 * lead to Go string headers inside the same section, which lead to the string bytes.
 */
export function pointerBuildInfo(goVersion: string, modinfo: Uint8Array, addr: number): Uint8Array {
  const v = new TextEncoder().encode(goVersion);
  const out = new Uint8Array(64 + v.length + modinfo.length);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[14] = 8;
  out[15] = 0;
  dv.setBigUint64(16, BigInt(addr + 32), true);
  dv.setBigUint64(24, BigInt(addr + 48), true);
  dv.setBigUint64(32, BigInt(addr + 64), true);
  dv.setBigUint64(40, BigInt(v.length), true);
  dv.setBigUint64(48, BigInt(addr + 64 + v.length), true);
  dv.setBigUint64(56, BigInt(modinfo.length), true);
  out.set(v, 64);
  out.set(modinfo, 64 + v.length);
  return out;
}
