// The 512-byte GNU tar header nydus writes after each blob section ("tar header after data",
// reference 4.2), so a blob can be walked backwards from its tail.

/** A header for a section of `size` bytes named `name` (regular file, mode 0644, mtime 0). */
export function sectionTarHeader(name: string, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const enc = new TextEncoder();
  h.set(enc.encode(name).subarray(0, 100), 0);
  const octal = (value: number, width: number, at: number) => {
    h.set(enc.encode(`${value.toString(8).padStart(width - 1, "0")}\0`), at);
  };
  octal(0o644, 8, 100); // mode
  octal(0, 8, 108); // uid
  octal(0, 8, 116); // gid
  octal(size, 12, 124);
  octal(0, 12, 136); // mtime
  h[156] = 0x30; // typeflag '0'
  h.set(enc.encode("ustar  \0"), 257); // GNU magic and version, as nydus writes it
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.set(enc.encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
  return h;
}
