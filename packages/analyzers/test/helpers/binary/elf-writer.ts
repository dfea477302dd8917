// A minimal ELF writer for tests: a file header, section bytes, a section-name table and the
// section header table, in the layout the System V gABI describes. Enough for readers that look
// sections up by name; nothing here is loadable.

/** One section to write. */
export interface ElfSectionSpec {
  readonly name: string;
  readonly data: Uint8Array;
  /** sh_addr. Default 0. */
  readonly addr?: number;
  /** sh_type. Default 1 (PROGBITS). */
  readonly type?: number;
}

/** Options of {@link buildElf}. */
export interface ElfSpec {
  /** Default 64. */
  readonly class?: 32 | 64;
  /** Default true. */
  readonly littleEndian?: boolean;
  readonly sections: readonly ElfSectionSpec[];
  /** Zero bytes written between the header and the first section (to make a big file). Default 0. */
  readonly padding?: number;
}

/** Where each part of a built file lies, for tests that corrupt one. */
export interface ElfLayout {
  readonly bytes: Uint8Array;
  /** e_shoff. */
  readonly shoff: number;
  readonly shentsize: number;
  /** File offsets of the given sections' data, in order (index 0 is the first given section). */
  readonly dataOffsets: readonly number[];
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Builds an ELF file holding `spec.sections` (plus the null section and `.shstrtab`). */
export function buildElf(spec: ElfSpec): ElfLayout {
  const is64 = (spec.class ?? 64) === 64;
  const le = spec.littleEndian ?? true;
  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const names = [...spec.sections.map((s) => s.name), ".shstrtab"];
  const nameOffsets: number[] = [];
  const strtab: number[] = [0];
  for (const n of names) {
    nameOffsets.push(strtab.length);
    strtab.push(...new TextEncoder().encode(n), 0);
  }
  let off = ehsize + (spec.padding ?? 0);
  const dataOffsets: number[] = [];
  for (const s of spec.sections) {
    off = align(off, 16);
    dataOffsets.push(off);
    off += s.data.length;
  }
  const strtabOffset = off;
  off += strtab.length;
  const shoff = align(off, 8);
  const shnum = spec.sections.length + 2;
  const total = shoff + shnum * shentsize;
  const bytes = new Uint8Array(total);
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  v.setUint16(16, 2, le); // ET_EXEC
  v.setUint16(18, 62, le); // EM_X86_64 (the machine does not matter to readers of sections)
  v.setUint32(20, 1, le);
  if (is64) {
    v.setBigUint64(0x28, BigInt(shoff), le);
    v.setUint16(0x34, ehsize, le);
    v.setUint16(0x3a, shentsize, le);
    v.setUint16(0x3c, shnum, le);
    v.setUint16(0x3e, shnum - 1, le);
  } else {
    v.setUint32(0x20, shoff, le);
    v.setUint16(0x28, ehsize, le);
    v.setUint16(0x2e, shentsize, le);
    v.setUint16(0x30, shnum, le);
    v.setUint16(0x32, shnum - 1, le);
  }
  const writeHeader = (
    index: number,
    name: number,
    type: number,
    addr: number,
    offset: number,
    size: number,
  ) => {
    const o = shoff + index * shentsize;
    v.setUint32(o, name, le);
    v.setUint32(o + 4, type, le);
    if (is64) {
      v.setBigUint64(o + 16, BigInt(addr), le);
      v.setBigUint64(o + 24, BigInt(offset), le);
      v.setBigUint64(o + 32, BigInt(size), le);
    } else {
      v.setUint32(o + 12, addr, le);
      v.setUint32(o + 16, offset, le);
      v.setUint32(o + 20, size, le);
    }
  };
  spec.sections.forEach((s, i) => {
    bytes.set(s.data, dataOffsets[i] ?? 0);
    writeHeader(i + 1, nameOffsets[i] ?? 0, s.type ?? 1, s.addr ?? 0, dataOffsets[i] ?? 0, s.data.length);
  });
  bytes.set(strtab, strtabOffset);
  writeHeader(shnum - 1, nameOffsets[names.length - 1] ?? 0, 3, 0, strtabOffset, strtab.length);
  return { bytes, shoff, shentsize, dataOffsets };
}
