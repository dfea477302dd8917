// Test helper: an encoder for rpm header blobs (the database form: no magic, an immutable region
// covering every entry), laid out the way rpm's headerImport checks them, so Debian's rpm reads
// them back too. Format: rpm lib/header.c.
import { RPM_TYPE, RPMTAG } from "../../../src/rpm/tags.js";

/** One tag's value. */
export type TagValue =
  | { readonly tag: number; readonly type: "string"; readonly value: string }
  | { readonly tag: number; readonly type: "string_array" | "i18n"; readonly value: readonly string[] }
  | { readonly tag: number; readonly type: "int32"; readonly value: readonly number[] }
  | { readonly tag: number; readonly type: "bin"; readonly value: Uint8Array };

const TYPE_CODE = {
  string: RPM_TYPE.STRING,
  string_array: RPM_TYPE.STRING_ARRAY,
  i18n: RPM_TYPE.I18NSTRING,
  int32: RPM_TYPE.INT32,
  bin: RPM_TYPE.BIN,
} as const;

const encoder = new TextEncoder();

function valueBytes(v: TagValue): { bytes: Uint8Array; count: number; align: number } {
  switch (v.type) {
    case "string":
      return { bytes: cstrings([v.value]), count: 1, align: 1 };
    case "string_array":
    case "i18n":
      return { bytes: cstrings(v.value), count: v.value.length, align: 1 };
    case "int32": {
      const bytes = new Uint8Array(4 * v.value.length);
      const view = new DataView(bytes.buffer);
      for (const [i, n] of v.value.entries()) view.setUint32(4 * i, n);
      return { bytes, count: v.value.length, align: 4 };
    }
    case "bin":
      return { bytes: v.value, count: v.value.length, align: 1 };
  }
}

function cstrings(values: readonly string[]): Uint8Array {
  const parts = values.map((s) => encoder.encode(`${s}\0`));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A header blob holding `values` (sorted by tag) inside one HEADERIMMUTABLE region whose trailer
 * ends the data store, as rpm writes installed headers.
 */
export function encodeHeaderBlob(values: readonly TagValue[]): Uint8Array {
  const sorted = [...values].sort((a, b) => a.tag - b.tag);
  const il = sorted.length + 1;
  const index: { tag: number; type: number; offset: number; count: number }[] = [];
  const chunks: Uint8Array[] = [];
  let dl = 0;
  for (const v of sorted) {
    const { bytes, count, align } = valueBytes(v);
    const pad = (align - (dl % align)) % align;
    if (pad > 0) chunks.push(new Uint8Array(pad));
    dl += pad;
    index.push({ tag: v.tag, type: TYPE_CODE[v.type], offset: dl, count });
    chunks.push(bytes);
    dl += bytes.length;
  }
  // The region trailer: a copy of the region entry whose offset is minus the region's index size.
  const trailer = new Uint8Array(16);
  const tv = new DataView(trailer.buffer);
  tv.setInt32(0, RPMTAG.HEADERIMMUTABLE);
  tv.setUint32(4, RPM_TYPE.BIN);
  tv.setInt32(8, -il * 16);
  tv.setUint32(12, 16);
  const regionOffset = dl;
  chunks.push(trailer);
  dl += 16;
  index.unshift({ tag: RPMTAG.HEADERIMMUTABLE, type: RPM_TYPE.BIN, offset: regionOffset, count: 16 });

  const out = new Uint8Array(8 + il * 16 + dl);
  const view = new DataView(out.buffer);
  view.setUint32(0, il);
  view.setUint32(4, dl);
  index.forEach((e, i) => {
    view.setInt32(8 + 16 * i, e.tag);
    view.setUint32(12 + 16 * i, e.type);
    view.setInt32(16 + 16 * i, e.offset);
    view.setUint32(20 + 16 * i, e.count);
  });
  let at = 8 + il * 16;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** What a test package holds. */
export interface TestRpm {
  readonly name: string;
  readonly version: string;
  readonly release?: string;
  readonly epoch?: number;
  readonly arch?: string;
  readonly license?: string;
  readonly sourceRpm?: string;
  readonly vendor?: string;
  /** Extra tags, e.g. a big string array to make the blob large. */
  readonly extra?: readonly TagValue[];
}

/** The header blob of a package with the usual tags (an i18n SUMMARY included, as rpm has). */
export function packageHeaderBlob(p: TestRpm): Uint8Array {
  const values: TagValue[] = [
    { tag: RPMTAG.HEADERI18NTABLE, type: "string_array", value: ["C"] },
    { tag: RPMTAG.NAME, type: "string", value: p.name },
    { tag: RPMTAG.VERSION, type: "string", value: p.version },
    { tag: RPMTAG.SUMMARY, type: "i18n", value: [`${p.name} test package`] },
  ];
  if (p.release !== undefined) values.push({ tag: RPMTAG.RELEASE, type: "string", value: p.release });
  if (p.epoch !== undefined) values.push({ tag: RPMTAG.EPOCH, type: "int32", value: [p.epoch] });
  if (p.arch !== undefined) values.push({ tag: RPMTAG.ARCH, type: "string", value: p.arch });
  if (p.license !== undefined) values.push({ tag: RPMTAG.LICENSE, type: "string", value: p.license });
  if (p.sourceRpm !== undefined) values.push({ tag: RPMTAG.SOURCERPM, type: "string", value: p.sourceRpm });
  if (p.vendor !== undefined) values.push({ tag: RPMTAG.VENDOR, type: "string", value: p.vendor });
  values.push(...(p.extra ?? []));
  return encodeHeaderBlob(values);
}
