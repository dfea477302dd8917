// OSV records the database tests write, and writers for the three input forms (zip, directory
// of JSON, JSON Lines).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";

/** A minimal valid record: `id` affects `name` in `ecosystem`, fixed in `fixed` when given. */
export function record(
  id: string,
  ecosystem: string,
  name: string,
  fixed?: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const events: Record<string, string>[] = [{ introduced: "0" }];
  if (fixed !== undefined) events.push({ fixed });
  return {
    id,
    modified: "2024-05-01T00:00:00Z",
    published: "2024-04-01T00:00:00Z",
    aliases: [`CVE-2024-${id.length}`],
    summary: `test advisory ${id}`,
    affected: [{ package: { ecosystem, name }, ranges: [{ type: "ECOSYSTEM", events }] }],
    ...extra,
  };
}

/** Writes records as a zip of `<id>.json` entries, as osv.dev's `all.zip` holds them. */
export function writeZip(
  path: string,
  records: readonly unknown[],
  more: Record<string, Uint8Array> = {},
): void {
  const files: Record<string, Uint8Array> = { ...more };
  for (const r of records) files[`${(r as { id: string }).id}.json`] = strToU8(JSON.stringify(r));
  writeFileSync(path, zipSync(files));
}

/** Writes records as `<dir>/<id>.json` (nested one level, as exports unpacked by ecosystem are). */
export function writeDirectory(dir: string, records: readonly unknown[]): void {
  mkdirSync(join(dir, "nested"), { recursive: true });
  records.forEach((r, i) => {
    writeFileSync(
      join(dir, i % 2 === 0 ? "" : "nested", `${(r as { id: string }).id}.json`),
      JSON.stringify(r),
    );
  });
}

/** Writes records as JSON Lines. */
export function writeJsonLines(path: string, records: readonly unknown[]): void {
  writeFileSync(path, `${records.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n")}\n`);
}
