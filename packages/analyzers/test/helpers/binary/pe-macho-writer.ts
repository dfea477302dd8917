// Minimal PE32+ and Mach-O 64 files for tests: headers, a section table and the given sections'
// bytes, laid out as the Go linker leaves a binary's data (build info at the data section start).

export interface ExeSection {
  readonly name: string;
  readonly data: Uint8Array;
}

/** A PE32+ file: DOS stub with e_lfanew, COFF header, optional header, sections. `.data` is RW data. */
export function buildPe(sections: readonly ExeSection[]): Uint8Array {
  const peOff = 0x80;
  const optSize = 240;
  const tableOff = peOff + 24 + optSize;
  let dataOff = tableOff + sections.length * 40;
  dataOff = (dataOff + 0x1ff) & ~0x1ff;
  const total = dataOff + sections.reduce((n, s) => n + ((s.data.length + 0x1ff) & ~0x1ff), 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out[0] = 0x4d;
  out[1] = 0x5a;
  v.setUint32(0x3c, peOff, true);
  v.setUint32(peOff, 0x50450000, false);
  v.setUint16(peOff + 4, 0x8664, true);
  v.setUint16(peOff + 6, sections.length, true);
  v.setUint16(peOff + 20, optSize, true);
  v.setUint16(peOff + 24, 0x20b, true);
  v.setBigUint64(peOff + 24 + 24, 0x400000n, true);
  let raw = dataOff;
  let va = 0x1000;
  for (const [i, s] of sections.entries()) {
    const at = tableOff + i * 40;
    out.set(new TextEncoder().encode(s.name.slice(0, 8)), at);
    v.setUint32(at + 8, s.data.length, true);
    v.setUint32(at + 12, va, true);
    v.setUint32(at + 16, (s.data.length + 0x1ff) & ~0x1ff, true);
    v.setUint32(at + 20, raw, true);
    const flags = s.name === ".data" ? 0xc0000040 : s.name === ".text" ? 0x60000020 : 0x40000040;
    v.setUint32(at + 36, flags, true);
    out.set(s.data, raw);
    raw += (s.data.length + 0x1ff) & ~0x1ff;
    va += (s.data.length + 0xfff) & ~0xfff;
  }
  return out;
}

/** A Mach-O 64 file with one `__DATA` segment (RW) holding the given sections. */
export function buildMachO(sections: readonly ExeSection[]): Uint8Array {
  const segSize = 72 + sections.length * 80;
  const headerSize = 32;
  let dataOff = headerSize + segSize;
  dataOff = (dataOff + 0xfff) & ~0xfff;
  const total = dataOff + sections.reduce((n, s) => n + s.data.length, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  const enc = new TextEncoder();
  v.setUint32(0, 0xfeedfacf, true);
  v.setUint32(4, 0x01000007, true);
  v.setUint32(12, 2, true);
  v.setUint32(16, 1, true);
  v.setUint32(20, segSize, true);
  const seg = headerSize;
  v.setUint32(seg, 0x19, true);
  v.setUint32(seg + 4, segSize, true);
  out.set(enc.encode("__DATA"), seg + 8);
  const vmaddr = 0x100000000n + BigInt(dataOff);
  v.setBigUint64(seg + 24, vmaddr, true);
  v.setBigUint64(seg + 32, BigInt(total - dataOff), true);
  v.setBigUint64(seg + 40, BigInt(dataOff), true);
  v.setBigUint64(seg + 48, BigInt(total - dataOff), true);
  v.setUint32(seg + 56, 3, true);
  v.setUint32(seg + 60, 3, true);
  v.setUint32(seg + 64, sections.length, true);
  let off = dataOff;
  for (const [i, s] of sections.entries()) {
    const at = seg + 72 + i * 80;
    out.set(enc.encode(s.name.slice(0, 16)), at);
    out.set(enc.encode("__DATA"), at + 16);
    v.setBigUint64(at + 32, 0x100000000n + BigInt(off), true);
    v.setBigUint64(at + 40, BigInt(s.data.length), true);
    v.setUint32(at + 48, off, true);
    out.set(s.data, off);
    off += s.data.length;
  }
  return out;
}
