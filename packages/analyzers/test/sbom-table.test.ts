// The terminal table: content, width limits, colour on and off, and hostile strings.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Package } from "../src/findings.js";
import type { ScanReport } from "../src/report.js";
import { formatTable } from "../src/sbom/index.js";
import { displayWidth, formatBytes, printable, truncate } from "../src/sbom/table.js";
import { sampleReport } from "./sbom-fixture.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI sequences
const ANSI = /\u001b\[[0-9;]*m/g;

describe("formatTable", () => {
  const report = sampleReport();
  const plain = formatTable(report, { width: 100 });
  const lines = plain.split("\n");

  test("plain text: image, OS, packages by ecosystem, secrets, warnings, telemetry", () => {
    expect(plain).not.toContain("\u001b");
    expect(lines[0]).toBe(
      "Image: registry.example.com/team/app:1.2.3 (rafs-v6) sha256:4bc453b53cb3d914b45f4b250294236adba2c0e…",
    );
    expect(lines[0]?.length).toBe(100);
    expect(lines[1]).toBe("OS: Debian GNU/Linux 12 (bookworm) (from /etc/os-release)");
    expect(plain).toContain(
      "\nPackages: 44 (apk 1, cargo 2, composer 1, conda 1, deb 12, gem 2, golang 3, maven 2, npm 12, nuget …\n",
    );
    expect(formatTable(report, { width: 200 })).toContain(
      "\nPackages: 44 (apk 1, cargo 2, composer 1, conda 1, deb 12, gem 2, golang 3, maven 2, npm 12, nuget 1, pypi 6, rpm 1)\n",
    );
    const groups = lines.filter((l) => /^[a-z]+ \(\d+\)$/.test(l)).map((l) => l.split(" ")[0]);
    expect(groups).toEqual([
      "apk",
      "cargo",
      "composer",
      "conda",
      "deb",
      "gem",
      "golang",
      "maven",
      "npm",
      "nuget",
      "pypi",
      "rpm",
    ]);
    const deb = lines.indexOf("deb (12)");
    expect(lines[deb + 1]).toBe("  NAME          VERSION           SOURCE");
    expect(lines[deb + 2]).toBe("  base-files    12.4+deb12u5      /var/lib/dpkg/status");
    // Found twice: one row, the second source counted.
    expect(lines.filter((l) => l.includes("lodash") && l.includes("4.17.21"))).toEqual([
      "  lodash       4.17.21  /app/node_modules/lodash/package.json (+1)",
    ]);
    expect(plain).toContain("  github.com/spf13/cobra");
    expect(plain).toContain("Secrets: 2\n  SEVERITY  RULE               LOCATION             MATCH\n");
    expect(plain).toContain(
      "  CRITICAL  aws-access-key-id  /app/.env:3          AWS_ACCESS_KEY_ID=AKIA****************\n",
    );
    expect(plain).toContain("Note: 3 files were larger than maxFileSize\n");
    expect(plain).toContain("Analyzer java failed: zip: central directory not found\n");
    expect(plain).toContain("\nWarnings: 2\n");
    expect(plain.endsWith("fetched 1.5 MiB of 50.0 MiB (3.0%) in 17 requests, 830 ms\n")).toBe(true);
  });

  test("colour: ANSI codes only decorate; stripped, the text is the plain table", () => {
    const coloured = formatTable(report, { width: 100, color: true });
    expect(coloured).toContain("\u001b[1m");
    expect(coloured).toContain("\u001b[31m\u001b[1mCRITICAL\u001b[0m");
    expect(coloured.replace(ANSI, "")).toBe(plain);
  });

  test("no line is wider than the width asked for (40 at least)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 240 }), (width) => {
        const out = formatTable(report, { width });
        for (const line of out.split("\n"))
          expect(displayWidth(line)).toBeLessThanOrEqual(Math.max(40, width));
      }),
      { numRuns: 40 },
    );
  });

  test("control characters and bidi overrides from the image never reach the terminal", () => {
    const evil: Package = {
      name: "evil\u001b[2J\u001b]0;pwned\u0007",
      version: "1\r\n2",
      ecosystem: "npm",
      purl: "pkg:npm/evil@1",
      source: "/x/\u202eexe.txt",
    };
    const out = formatTable({ ...report, packages: [evil], secrets: [] }, { color: false });
    const unsafe = [...out].filter((ch) => ch !== "\n" && (ch < " " || ch === "\u007f" || ch === "\u202e"));
    expect(unsafe).toEqual([]);
    expect(out).toContain("evil?[2J?]0;pwned?");
    expect(out).toContain("1??2");
  });

  test("unknown image size, one request, no OS, nothing found", () => {
    const empty: ScanReport = {
      ...report,
      os: undefined,
      packages: [],
      secrets: [],
      notes: [],
      warnings: [],
      analyzers: [],
      telemetry: {
        ...report.telemetry,
        imageBytes: undefined,
        bytesFetched: 512,
        requests: 1,
        durationMs: 3,
      },
    };
    expect(formatTable(empty, { width: 200 })).toBe(
      [
        "Image: registry.example.com/team/app:1.2.3 (rafs-v6) sha256:4bc453b53cb3d914b45f4b250294236adba2c0e09ff6f03793949e7e39fd4cc1",
        "OS: not detected",
        "",
        "Packages: 0",
        "",
        "Secrets: 0",
        "",
        "Warnings: 0",
        "fetched 512 B of an image of unknown size in 1 request, 3 ms",
        "",
      ].join("\n"),
    );
  });
});

describe("table helpers", () => {
  test("truncate counts wide characters as two columns and marks the cut", () => {
    expect(truncate("abcdef", 6)).toBe("abcdef");
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("日本語テキスト", 7)).toBe("日本語…");
    expect(displayWidth("日本語…")).toBe(7);
    expect(displayWidth("e\u0301")).toBe(1);
    expect(truncate("abc", 0)).toBe("");
  });

  test("formatBytes and printable", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GiB");
    expect(printable("a\tb\u009bc\u2066d")).toBe("a?b?c?d");
  });
});
