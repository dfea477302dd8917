// The report's `complete` and `incomplete`: files an analyzer wanted but did not read are listed
// with their reason; a package database analyzer (`database: true`) that could not read, or could
// not make anything of, its files makes the report incomplete, any other plugin does not.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildImage, readDirectory } from "@rafscan/builder";
import { FileBlobSource, type Image, openImage } from "@rafscan/vfs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalyzerPlugin } from "../src/plugin.js";
import { formatTable } from "../src/sbom/table.js";
import { scanImage } from "../src/scan.js";

let work = "";
let image: Image;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "rafscan-incomplete-"));
  const root = join(work, "root");
  for (const [path, text] of Object.entries({
    "db/packages": "x".repeat(5000),
    "notes/a.txt": "a".repeat(5000),
  })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const out = join(work, "out");
  await buildImage([readDirectory(root)], { outDir: out, compressor: "none" });
  image = await openImage({
    bootstrap: join(out, "bootstrap"),
    blobs: (blob) => new FileBlobSource(join(out, "blobs", blob.id)),
  });
});
afterAll(async () => {
  await image?.close();
  rmSync(work, { recursive: true, force: true });
});

const plugin = (id: string, over: Partial<AnalyzerPlugin>): AnalyzerPlugin => ({
  id,
  version: "1.0.0",
  needs: [],
  analyze: () => ({}),
  ...over,
});

describe("complete / incomplete", () => {
  it("a database file over maxFileSize makes the report incomplete; another plugin's does not", async () => {
    const report = await scanImage(image, {
      analyzers: [
        plugin("db", { database: true, needs: ["/db/packages"], maxFileSize: 100 }),
        plugin("notes", { needs: ["/notes/a.txt"], maxFileSize: 100 }),
      ],
    });
    expect(report.complete).toBe(false);
    expect(report.incomplete).toEqual([
      { plugin: "db", path: "/db/packages", reason: "larger than maxFileSize (5000 bytes)", required: true },
      {
        plugin: "notes",
        path: "/notes/a.txt",
        reason: "larger than maxFileSize (5000 bytes)",
        required: false,
      },
    ]);
    const notesOnly = await scanImage(image, {
      analyzers: [plugin("notes", { needs: ["/notes/a.txt"], maxFileSize: 100 })],
    });
    expect(notesOnly.complete).toBe(true);
    expect(notesOnly.incomplete).toHaveLength(1);
  });

  it("a database analyzer that throws on its files makes the report incomplete", async () => {
    const report = await scanImage(image, {
      analyzers: [
        plugin("db", {
          database: true,
          needs: ["/db/packages"],
          analyze: () => {
            throw new Error("not a database");
          },
        }),
      ],
    });
    expect(report.complete).toBe(false);
    expect(report.incomplete).toEqual([
      { plugin: "db", path: "/db/packages", reason: "analyzer failed: not a database", required: true },
    ]);
  });

  it("the table lists every file not read with its reason, and every warning (regression: a count only)", async () => {
    const report = await scanImage(image, {
      analyzers: [
        plugin("db", {
          database: true,
          needs: ["/db/packages", "/notes/a.txt"],
          maxFileSize: 100,
          analyze: (_files, ctx) => {
            ctx.warn("stanza 3 has no Version", "/db/other");
            return {};
          },
        }),
      ],
    });
    const table = formatTable(report, { width: 200 });
    expect(table).toMatch(/INCOMPLETE: 2 files not read/);
    expect(table).toMatch(
      /db\s+\/db\/packages\s+larger than maxFileSize \(5000 bytes\) \(package database\)/,
    );
    expect(table).toMatch(/db\s+\/notes\/a.txt\s+larger than maxFileSize/);
    expect(table).toContain("Warnings: 1\n  db: /db/other: stanza 3 has no Version\n");
  });

  it("reads everything: complete, nothing listed", async () => {
    const report = await scanImage(image, {
      analyzers: [plugin("db", { database: true, needs: ["/db/packages"] })],
    });
    expect(report).toMatchObject({ complete: true, incomplete: [] });
  });
});
