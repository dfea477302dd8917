// Go build information: the `.go.buildinfo` section header and the module list (modinfo) the Go
// linker embeds in every binary since Go 1.13. Layout as read by the Go tree's
// src/debug/buildinfo/buildinfo.go; modinfo text as written by src/runtime/debug/mod.go
// (`BuildInfo.String`).
import { addressToOffset, type ElfFile, findSection, readSection, readUint } from "./elf.js";
import { type RangeReader, readExact } from "./range-reader.js";

/** `\xff Go buildinf:`: the 14 bytes that open the build-info header. */
export const BUILDINFO_MAGIC = Uint8Array.from([
  0xff, 0x20, 0x47, 0x6f, 0x20, 0x62, 0x75, 0x69, 0x6c, 0x64, 0x69, 0x6e, 0x66, 0x3a,
]);
/** The header: magic, pointer size, flags, then two pointers (old format) or padding. */
export const BUILDINFO_HEADER_SIZE = 32;
/** The header sits at a 16-byte boundary within the section. */
const BUILDINFO_ALIGN = 16;
/** Flag bit: the binary is big-endian (meaningful for the pointer format only). */
const FLAGS_ENDIAN_BIG = 0x1;
/** Flag bit (Go >= 1.18): version and modinfo follow the header inline, varint-prefixed. */
const FLAGS_VERSION_INLINE = 0x2;
/** Largest `.go.buildinfo` section read; the biggest real ones hold a few thousand deps (~0.5 MiB). */
export const MAX_BUILDINFO_SIZE = 4 << 20;
/** Largest version or modinfo string accepted in the pointer format. */
const MAX_STRING = 4 << 20;
/** Lines of modinfo parsed; beyond this the rest is ignored with a warning. */
export const MAX_MODINFO_LINES = 100_000;
/** modinfo is framed by two 16-byte sentinels (cmd/go/internal/modload `infoStart`/`infoEnd`). */
const SENTINEL_SIZE = 16;

/** One module line of modinfo. */
export interface GoModule {
  readonly path: string;
  /** `v1.2.3`, a pseudo-version, `(devel)`, or empty for a local replacement. */
  readonly version: string;
  readonly sum: string;
  /** The `=>` line that followed it, when the module was replaced. */
  readonly replace?: GoModule;
}

/** What a Go binary says about how it was built. */
export interface GoBuildInfo {
  /** `go1.22.3`, possibly followed by ` X:experiment` or a vendor suffix. */
  readonly goVersion: string;
  /** The main package's import path (`path` line). */
  readonly path: string;
  /** The main module (`mod` line); absent in binaries built outside module mode. */
  readonly main: GoModule | undefined;
  readonly deps: readonly GoModule[];
  /** `build` lines as key/value pairs, in order. */
  readonly settings: readonly (readonly [string, string])[];
}

const utf8 = new TextDecoder();

function indexOfMagic(bytes: Uint8Array, from: number): number {
  const first = BUILDINFO_MAGIC[0];
  for (let i = bytes.indexOf(first ?? 0xff, from); i >= 0; i = bytes.indexOf(first ?? 0xff, i + 1)) {
    let ok = i + BUILDINFO_MAGIC.length <= bytes.length;
    for (let j = 1; ok && j < BUILDINFO_MAGIC.length; j++) ok = bytes[i + j] === BUILDINFO_MAGIC[j];
    if (ok) return i;
  }
  return -1;
}

/** Reads an unsigned LEB128 varint (Go's `binary.Uvarint`) at `off`; `undefined` if it runs out. */
function uvarint(bytes: Uint8Array, off: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = off; i < bytes.length && i < off + 8; i++) {
    const b = bytes[i] ?? 0;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    scale *= 128;
  }
  return undefined;
}

/**
 * Reads the build info of a Go ELF binary, or `undefined` when it has no `.go.buildinfo` section
 * (not Go, or a binary whose section headers were removed: finding the header by scanning the
 * data segments instead is not done).
 * @throws on a malformed section (the caller turns it into a warning)
 */
export async function readGoBuildInfo(file: RangeReader, elf: ElfFile): Promise<GoBuildInfo | undefined> {
  const section = findSection(elf, ".go.buildinfo");
  if (section === undefined) return undefined;
  const data = await readSection(file, section, MAX_BUILDINFO_SIZE);
  // The linker puts the header at the section start; the Go reader still searches for it at any
  // 16-byte boundary, and so do we.
  let at = indexOfMagic(data, 0);
  while (at >= 0 && at % BUILDINFO_ALIGN !== 0) at = indexOfMagic(data, at + 1);
  if (at < 0) return undefined;
  if (data.length - at < BUILDINFO_HEADER_SIZE) throw new Error("Go build info header truncated");
  const ptrSize = data[at + 14] ?? 0;
  const flags = data[at + 15] ?? 0;

  let goVersion: string;
  let modinfo: Uint8Array;
  if ((flags & FLAGS_VERSION_INLINE) !== 0) {
    let off = at + BUILDINFO_HEADER_SIZE;
    const strings: Uint8Array[] = [];
    for (const what of ["Go version", "modinfo"]) {
      const len = uvarint(data, off);
      if (len === undefined || len.next + len.value > data.length) {
        throw new Error(`Go build info: ${what} string runs past the section end`);
      }
      strings.push(data.subarray(len.next, len.next + len.value));
      off = len.next + len.value;
    }
    goVersion = utf8.decode(strings[0]);
    modinfo = strings[1] ?? new Uint8Array(0);
  } else {
    // Go 1.13 to 1.17: two pointers to Go string headers { data *byte; len int } in the data
    // segment, each to be mapped from a virtual address to a file offset.
    if (ptrSize !== 4 && ptrSize !== 8) throw new Error(`Go build info: bad pointer size ${ptrSize}`);
    const le = (flags & FLAGS_ENDIAN_BIG) === 0;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const readPtr = (v: DataView, o: number): number => readUint(v, o, ptrSize, le, "Go build info pointer");
    const readString = async (addr: number, what: string): Promise<Uint8Array> => {
      const hdrOff = addressToOffset(elf, addr, 2 * ptrSize);
      if (hdrOff === undefined) throw new Error(`Go build info: ${what} header address is not in the file`);
      const hdrBytes = await readExact(file, hdrOff, 2 * ptrSize, `Go ${what} header`);
      const hdr = new DataView(hdrBytes.buffer, hdrBytes.byteOffset, hdrBytes.byteLength);
      const strAddr = readPtr(hdr, 0);
      const len = readPtr(hdr, ptrSize);
      if (len === 0) return new Uint8Array(0);
      if (len > MAX_STRING) throw new Error(`Go build info: ${what} is ${len} bytes`);
      const strOff = addressToOffset(elf, strAddr, len);
      if (strOff === undefined) throw new Error(`Go build info: ${what} address is not in the file`);
      return readExact(file, strOff, len, `Go ${what}`);
    };
    goVersion = utf8.decode(await readString(readPtr(view, at + 16), "version"));
    modinfo = await readString(readPtr(view, at + 16 + ptrSize), "modinfo");
  }
  if (goVersion === "") return undefined;
  return { goVersion, ...parseModInfo(utf8.decode(stripSentinels(modinfo))) };
}

/**
 * Removes the 16-byte sentinels around modinfo; like the Go reader, modinfo without them (or
 * without the `\n` that ends its last line) counts as absent. Works on bytes: the sentinels are
 * not valid UTF-8.
 */
export function stripSentinels(modinfo: Uint8Array): Uint8Array {
  if (modinfo.length < 2 * SENTINEL_SIZE + 1 || modinfo[modinfo.length - SENTINEL_SIZE - 1] !== 0x0a) {
    return new Uint8Array(0);
  }
  return modinfo.subarray(SENTINEL_SIZE, modinfo.length - SENTINEL_SIZE);
}

/**
 * Parses modinfo text: `path`, `mod`, `dep`, `=>` (replaces the line before) and `build` lines,
 * tab-separated. Unknown lines are ignored, as the Go parser does for forward compatibility.
 */
export function parseModInfo(text: string): Omit<GoBuildInfo, "goVersion"> {
  let path = "";
  let main: GoModule | undefined;
  const deps: GoModule[] = [];
  const settings: [string, string][] = [];
  const lines = text.split("\n", MAX_MODINFO_LINES);
  const module = (f: readonly string[]): GoModule => ({
    path: f[1] ?? "",
    version: f[2] ?? "",
    sum: f[3] ?? "",
  });
  for (const line of lines) {
    const f = line.split("\t");
    switch (f[0]) {
      case "path":
        path = f[1] ?? "";
        break;
      case "mod":
        main = module(f);
        break;
      case "dep":
        deps.push(module(f));
        break;
      case "=>": {
        // A replacement belongs to the dep just read, or to the main module if no dep came yet.
        const last = deps.at(-1);
        if (last !== undefined) deps[deps.length - 1] = { ...last, replace: module(f) };
        else if (main !== undefined) main = { ...main, replace: module(f) };
        break;
      }
      case "build": {
        const kv = line.slice("build\t".length);
        // The go command quotes a key or value holding spaces, `=`, quotes or tabs as a Go string
        // literal (`-ldflags="-w -X main.version=v1.0.0"`).
        const quotedKey = kv.startsWith('"') ? goQuotedPrefix(kv) : undefined;
        const eq = quotedKey !== undefined ? quotedKey.length : kv.indexOf("=");
        if (eq < 0 || kv[eq] !== "=") settings.push([unquoteGo(kv), ""]);
        else settings.push([unquoteGo(kv.slice(0, eq)), unquoteGo(kv.slice(eq + 1))]);
        break;
      }
      default:
        break;
    }
  }
  return { path, main, deps, settings };
}

/** The Go string literal at the start of `s` (`"…"` with backslash escapes), or undefined. */
function goQuotedPrefix(s: string): string | undefined {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === '"') return s.slice(0, i + 1);
  }
  return undefined;
}

/** A Go string literal's value; anything else (or a literal JSON cannot read) as is. */
function unquoteGo(s: string): string {
  if (s.length < 2 || !s.startsWith('"') || !s.endsWith('"')) return s;
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === "string" ? v : s;
  } catch {
    return s;
  }
}
