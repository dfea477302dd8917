// ELF file header and section header table, read by range, so the binary analyzers can find one
// named section (`.go.buildinfo`, `.dep-v0`) without reading the binary. Format: System V gABI,
// chapter 4 "Object Files" (https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html and
// ch4.sheader.html); field names below are the C names from <elf.h>.
import { type RangeReader, readExact } from "./range-reader.js";

/** Bytes read first from every candidate: enough for an ELF64 header (an ELF32 one is 52). */
export const ELF_HEAD_SIZE = 64;
/** Section headers accepted; linked executables have ~40, so more is hostile or an object file. */
export const MAX_ELF_SECTIONS = 16_384;
/** Largest section-name string table read (`.shstrtab` is a few hundred bytes in practice). */
export const MAX_SHSTRTAB_SIZE = 1 << 20;

const EI_CLASS = 4;
const EI_DATA = 5;
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
/** sh_type of a section that occupies no file space (`.bss`). */
export const SHT_NOBITS = 8;
const SHN_XINDEX = 0xffff;

/** One section header, with its name resolved. */
export interface ElfSection {
  readonly name: string;
  readonly type: number;
  /** sh_addr: virtual address when loaded (0 for non-allocated sections). */
  readonly addr: number;
  /** sh_offset: file offset of the section's bytes. */
  readonly offset: number;
  /** sh_size in bytes. */
  readonly size: number;
}

/** What the analyzers need of an ELF file. */
export interface ElfFile {
  readonly class: 32 | 64;
  readonly littleEndian: boolean;
  /** Empty when the file has no section header table (stripped of it, or packed). */
  readonly sections: readonly ElfSection[];
}

/** True when `head` starts with the ELF magic `\x7fELF`. */
export function isElf(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/** Reads an unsigned field of `width` bytes (1, 2, 4 or 8) and refuses values beyond 2^53. */
export function readUint(view: DataView, off: number, width: number, le: boolean, what: string): number {
  switch (width) {
    case 1:
      return view.getUint8(off);
    case 2:
      return view.getUint16(off, le);
    case 4:
      return view.getUint32(off, le);
    case 8: {
      const v = view.getBigUint64(off, le);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what} exceeds 2^53`);
      return Number(v);
    }
    default:
      throw new Error(`${what}: bad field width ${width}`);
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Reads the ELF header from `head` (the first {@link ELF_HEAD_SIZE} bytes, or fewer for a short
 * file) and the section header table by range. Returns `undefined` when the file is not ELF.
 * @throws on a truncated or inconsistent header table (the caller turns it into a warning)
 */
export async function readElf(file: RangeReader, head: Uint8Array): Promise<ElfFile | undefined> {
  if (!isElf(head) || head.length < 52) return undefined;
  const cls = head[EI_CLASS];
  const data = head[EI_DATA];
  if ((cls !== ELFCLASS32 && cls !== ELFCLASS64) || (data !== ELFDATA2LSB && data !== ELFDATA2MSB)) {
    return undefined;
  }
  const is64 = cls === ELFCLASS64;
  const le = data === ELFDATA2LSB;
  if (is64 && head.length < 64) throw new Error("ELF64 header truncated");
  const view = viewOf(head);
  const w = is64 ? 8 : 4;
  const shoff = readUint(view, is64 ? 0x28 : 0x20, w, le, "e_shoff");
  const shentsize = view.getUint16(is64 ? 0x3a : 0x2e, le);
  let shnum = view.getUint16(is64 ? 0x3c : 0x30, le);
  let shstrndx = view.getUint16(is64 ? 0x3e : 0x32, le);
  const elfClass = is64 ? 64 : 32;
  if (shoff === 0) return { class: elfClass, littleEndian: le, sections: [] };
  const entSize = is64 ? 64 : 40;
  // Like Go's debug/elf, insist on the standard entry size: a larger one would only let a hostile
  // header multiply the bytes we read.
  if (shentsize !== entSize) throw new Error(`ELF e_shentsize is ${shentsize}, not ${entSize}`);

  // Extended numbering: with 0xff00+ sections the real count and string-table index live in
  // section 0's sh_size and sh_link.
  if (shnum === 0 || shstrndx === SHN_XINDEX) {
    const first = viewOf(await readExact(file, shoff, entSize, "ELF section header 0"));
    if (shnum === 0) shnum = readUint(first, is64 ? 32 : 20, w, le, "section 0 sh_size");
    if (shstrndx === SHN_XINDEX) shstrndx = first.getUint32(is64 ? 40 : 24, le);
  }
  if (shnum === 0) return { class: elfClass, littleEndian: le, sections: [] };
  if (shnum > MAX_ELF_SECTIONS) throw new Error(`ELF has ${shnum} sections (limit ${MAX_ELF_SECTIONS})`);
  const table = viewOf(await readExact(file, shoff, shnum * shentsize, "ELF section header table"));

  const raw: { nameOff: number; type: number; addr: number; offset: number; size: number }[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * shentsize;
    raw.push({
      nameOff: table.getUint32(o, le),
      type: table.getUint32(o + 4, le),
      addr: readUint(table, o + (is64 ? 16 : 12), w, le, "sh_addr"),
      offset: readUint(table, o + (is64 ? 24 : 16), w, le, "sh_offset"),
      size: readUint(table, o + (is64 ? 32 : 20), w, le, "sh_size"),
    });
  }
  const strtab = raw[shstrndx];
  if (strtab === undefined) throw new Error(`ELF e_shstrndx ${shstrndx} is out of range (${shnum} sections)`);
  if (strtab.size > MAX_SHSTRTAB_SIZE) throw new Error(`ELF section name table is ${strtab.size} bytes`);
  const names = await readExact(file, strtab.offset, strtab.size, "ELF section name table");
  const decoder = new TextDecoder();
  const sections = raw.map((s) => {
    let name = "";
    if (s.nameOff < names.length) {
      let end = names.indexOf(0, s.nameOff);
      if (end < 0) end = names.length;
      name = decoder.decode(names.subarray(s.nameOff, end));
    }
    return { name, type: s.type, addr: s.addr, offset: s.offset, size: s.size };
  });
  return { class: elfClass, littleEndian: le, sections };
}

/** The first section called `name`, if any. */
export function findSection(elf: ElfFile, name: string): ElfSection | undefined {
  return elf.sections.find((s) => s.name === name);
}

/**
 * Reads a section's bytes. `NOBITS` sections have none.
 * @throws when the section is larger than `maxSize` or lies beyond the file's end
 */
export async function readSection(
  file: RangeReader,
  section: ElfSection,
  maxSize: number,
): Promise<Uint8Array> {
  if (section.type === SHT_NOBITS) return new Uint8Array(0);
  if (section.size > maxSize) {
    throw new Error(`ELF section ${section.name} is ${section.size} bytes (limit ${maxSize})`);
  }
  return readExact(file, section.offset, section.size, `ELF section ${section.name}`);
}

/**
 * Maps a virtual address to a file offset through the section that holds `length` bytes there,
 * or `undefined` when no section with file data covers the whole range.
 */
export function addressToOffset(elf: ElfFile, addr: number, length: number): number | undefined {
  for (const s of elf.sections) {
    if (s.type === SHT_NOBITS || s.addr === 0) continue;
    if (addr >= s.addr && addr + length <= s.addr + s.size) return s.offset + (addr - s.addr);
  }
  return undefined;
}
