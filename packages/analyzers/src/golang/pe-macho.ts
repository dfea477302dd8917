// PE (Windows) and Mach-O (macOS) executables, read by range into the same section list the ELF
// reader gives, so the Go and Rust binary analyzers work on all three. Layouts: Microsoft PE
// Format ("COFF File Header", "Optional Header", "Section Table"); Apple's mach-o/loader.h
// (`mach_header_64`, `segment_command_64`, `section_64`). Where the Go linker puts the build info
// follows the Go tree's src/debug/buildinfo/buildinfo.go: PE, the first initialised read-write data
// section; Mach-O, the `__go_buildinfo` section, else the first read-write segment. That place is
// exposed as a section named `.go.buildinfo`, at most 64 KiB (the span the Go reader searches).
import { ELF_HEAD_SIZE, type ElfFile, type ElfSection, MAX_ELF_SECTIONS } from "./elf.js";
import { type RangeReader, readExact } from "./range-reader.js";

/** Bytes of the build-info search span (Go's reader looks no further into the data section). */
const GO_SEARCH_SPAN = 64 * 1024;
/** Largest load-command area read from a Mach-O file. */
export const MAX_MACHO_COMMANDS_SIZE = 4 << 20;

const PE_SCN_CNT_INITIALIZED_DATA = 0x40;
const PE_SCN_MEM_READ = 0x40000000;
const PE_SCN_MEM_WRITE = 0x80000000;
const PE_SCN_ALIGN_MASK = 0x00f00000;

const MH_MAGIC = 0xfeedface;
const MH_MAGIC_64 = 0xfeedfacf;
const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const VM_PROT_RW = 3;

/** `MZ`: a DOS stub, which every PE file starts with. */
export function isPe(head: Uint8Array): boolean {
  return head.length >= 64 && head[0] === 0x4d && head[1] === 0x5a;
}

/** A thin (not universal) Mach-O header of either byte order and width. */
export function isMachO(head: Uint8Array): boolean {
  if (head.length < 28) return false;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = v.getUint32(0, true);
  const be = v.getUint32(0, false);
  return le === MH_MAGIC || le === MH_MAGIC_64 || be === MH_MAGIC || be === MH_MAGIC_64;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder("latin1").decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** The build-info span of a data area, as a pseudo-section the Go reader looks in. */
function goSpan(addr: number, offset: number, size: number, fileSize: number): ElfSection | undefined {
  if (size <= 0 || offset >= fileSize) return undefined;
  return {
    name: ".go.buildinfo",
    type: 1,
    addr,
    offset,
    size: Math.min(size, GO_SEARCH_SPAN, fileSize - offset),
  };
}

/**
 * Reads a PE file's section table. `undefined` when the `PE\0\0` signature is missing (a DOS
 * program or another MZ format).
 * @throws on a section table that lies beyond the file or has too many entries
 */
export async function readPe(file: RangeReader, head: Uint8Array): Promise<ElfFile | undefined> {
  const h = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const peOff = h.getUint32(0x3c, true);
  if (peOff + 24 > file.size) return undefined;
  const coff = await readExact(file, peOff, 24, "PE header");
  const c = new DataView(coff.buffer, coff.byteOffset, coff.byteLength);
  if (c.getUint32(0, false) !== 0x50450000) return undefined; // "PE\0\0"
  const count = c.getUint16(6, true);
  const optSize = c.getUint16(20, true);
  if (count > MAX_ELF_SECTIONS) throw new Error(`PE has ${count} sections (limit ${MAX_ELF_SECTIONS})`);
  let imageBase = 0;
  if (optSize >= 32) {
    const opt = await readExact(file, peOff + 24, Math.min(optSize, 32), "PE optional header");
    const o = new DataView(opt.buffer, opt.byteOffset, opt.byteLength);
    const magic = o.getUint16(0, true);
    if (magic === 0x20b) {
      const base = o.getBigUint64(24, true);
      imageBase = base > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(base);
    } else imageBase = o.getUint32(28, true);
  }
  const table = await readExact(file, peOff + 24 + optSize, count * 40, "PE section table");
  const t = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const sections: ElfSection[] = [];
  let data: ElfSection | undefined;
  for (let i = 0; i < count; i++) {
    const at = i * 40;
    const name = cString(table.subarray(at, at + 8));
    const virtualSize = t.getUint32(at + 8, true);
    const va = t.getUint32(at + 12, true);
    const rawSize = t.getUint32(at + 16, true);
    const rawOff = t.getUint32(at + 20, true);
    const flags = t.getUint32(at + 36, true);
    const size = virtualSize === 0 ? rawSize : Math.min(virtualSize, rawSize);
    const section: ElfSection = {
      name,
      type: rawSize === 0 ? 8 : 1,
      addr: imageBase + va,
      offset: rawOff,
      size,
    };
    sections.push(section);
    const rw = PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ | PE_SCN_MEM_WRITE;
    if (data === undefined && va !== 0 && size !== 0 && (flags & ~PE_SCN_ALIGN_MASK) >>> 0 === rw >>> 0)
      data = goSpan(imageBase + va, rawOff, size, file.size);
  }
  if (data !== undefined && !sections.some((s) => s.name === ".go.buildinfo")) sections.push(data);
  return { class: 64, littleEndian: true, sections };
}

/**
 * Reads a thin Mach-O file's segments and sections.
 * @throws on load commands that lie beyond the file or exceed the limits
 */
export async function readMachO(file: RangeReader, head: Uint8Array): Promise<ElfFile | undefined> {
  const h = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = h.getUint32(0, true) === MH_MAGIC || h.getUint32(0, true) === MH_MAGIC_64;
  const magic = h.getUint32(0, le);
  const is64 = magic === MH_MAGIC_64;
  const ncmds = h.getUint32(16, le);
  const sizeofcmds = h.getUint32(20, le);
  if (sizeofcmds > MAX_MACHO_COMMANDS_SIZE) throw new Error(`Mach-O load commands are ${sizeofcmds} bytes`);
  const start = is64 ? 32 : 28;
  const cmds = await readExact(file, start, sizeofcmds, "Mach-O load commands");
  const v = new DataView(cmds.buffer, cmds.byteOffset, cmds.byteLength);
  const num = (off: number, wide: boolean): number => {
    if (!wide) return v.getUint32(off, le);
    const n = v.getBigUint64(off, le);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("Mach-O value exceeds 2^53");
    return Number(n);
  };
  const sections: ElfSection[] = [];
  let rwSegment: ElfSection | undefined;
  let off = 0;
  for (let i = 0; i < ncmds; i++) {
    if (off + 8 > cmds.length) throw new Error("Mach-O load command runs past the commands area");
    const cmd = v.getUint32(off, le);
    const size = v.getUint32(off + 4, le);
    if (size < 8 || off + size > cmds.length)
      throw new Error(`Mach-O load command ${i} has a bad size ${size}`);
    if (cmd === LC_SEGMENT_64 || cmd === LC_SEGMENT) {
      const w = cmd === LC_SEGMENT_64;
      const segHeader = w ? 72 : 56;
      if (size < segHeader) throw new Error("Mach-O segment command too short");
      const vmaddr = num(off + 24, w);
      const fileoff = num(off + (w ? 40 : 32), w);
      const filesize = num(off + (w ? 48 : 36), w);
      const maxprot = v.getUint32(off + (w ? 56 : 40), le);
      const initprot = v.getUint32(off + (w ? 60 : 44), le);
      const nsects = v.getUint32(off + (w ? 64 : 48), le);
      const sectSize = w ? 80 : 68;
      if (segHeader + nsects * sectSize > size)
        throw new Error("Mach-O segment sections run past the command");
      if (sections.length + nsects > MAX_ELF_SECTIONS)
        throw new Error(`Mach-O has more than ${MAX_ELF_SECTIONS} sections`);
      if (
        rwSegment === undefined &&
        vmaddr !== 0 &&
        filesize !== 0 &&
        maxprot === VM_PROT_RW &&
        initprot === VM_PROT_RW
      )
        rwSegment = goSpan(vmaddr, fileoff, filesize, file.size);
      for (let s = 0; s < nsects; s++) {
        const at = off + segHeader + s * sectSize;
        const name = cString(cmds.subarray(at, at + 16));
        const addr = num(at + 32, w);
        const secSize = num(at + (w ? 40 : 36), w);
        const secOff = v.getUint32(at + (w ? 48 : 40), le);
        const flags = v.getUint32(at + (w ? 64 : 56), le);
        // S_ZEROFILL (1) and friends have no file data, like ELF's NOBITS.
        const zerofill = (flags & 0xff) === 1 || (flags & 0xff) === 0x0c || secOff === 0;
        sections.push({ name, type: zerofill ? 8 : 1, addr, offset: secOff, size: secSize });
      }
    }
    off += size;
  }
  const goInfo = sections.find((s) => s.name === "__go_buildinfo");
  if (goInfo !== undefined) sections.push({ ...goInfo, name: ".go.buildinfo" });
  else if (rwSegment !== undefined) sections.push(rwSegment);
  return { class: is64 ? 64 : 32, littleEndian: le, sections };
}

/**
 * The section list of an ELF, PE or Mach-O executable; `undefined` for any other file (one read
 * of its first {@link ELF_HEAD_SIZE} bytes, which the caller passes as `head`).
 */
export async function readExecutable(
  file: RangeReader,
  head: Uint8Array,
  readElf: (file: RangeReader, head: Uint8Array) => Promise<ElfFile | undefined>,
  isElf: (head: Uint8Array) => boolean,
): Promise<ElfFile | undefined> {
  if (head.length < Math.min(ELF_HEAD_SIZE, file.size)) return undefined;
  if (isElf(head)) return readElf(file, head);
  if (isPe(head)) return readPe(file, head);
  if (isMachO(head)) return readMachO(file, head);
  return undefined;
}
