import { describe, expect, it } from "vitest";
import { parseCoreMetadata, pythonPlugin } from "../src/lang/python.js";
import { compileNeeds } from "../src/needs.js";
import { countingFile } from "./helpers/binary/counting-file.js";
import { buildZip } from "./helpers/binary/zip-writer.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const entry = (path: string) => ({ path, size: 1, mode: 0o100644 });

const WHEEL_METADATA = `Metadata-Version: 2.1
Name: typing_extensions
Version: 4.12.2
Summary: Backported and Experimental Type Hints for Python 3.8+
Author-email: "Guido van Rossum, Jukka Lehtosalo, Łukasz Langa, Michael Lee" <levkivskyi@gmail.com>
Requires-Python: >=3.8
Description-Content-Type: text/markdown
Classifier: Development Status :: 5 - Production/Stable
Classifier: License :: OSI Approved :: Python Software Foundation License
Classifier: Programming Language :: Python :: 3
Project-URL: Home, https://github.com/python/typing_extensions

# Typing Extensions

License: this line is in the body and must be ignored
`;

const EGG_PKG_INFO =
  "Metadata-Version: 1.1\r\nName: six\r\nVersion: 1.16.0\r\nSummary: Python 2 and 3 compatibility utilities\r\n" +
  "License: MIT\r\nPlatform: UNKNOWN\r\nClassifier: License :: OSI Approved\r\n\r\nUNKNOWN\r\n";

describe("python needs", () => {
  const needs = compileNeeds(pythonPlugin.needs);
  it.each([
    "/usr/lib/python3/dist-packages/typing_extensions-4.12.2.dist-info/METADATA",
    "/usr/local/lib/python3.12/site-packages/six-1.16.0-py3.12.egg-info/PKG-INFO",
    "/usr/lib/python3/dist-packages/six-1.16.0.egg-info",
    "/usr/lib/python3/site-packages/foo-1.0-py3.egg/EGG-INFO/PKG-INFO",
  ])("matches %s", (path) => expect(needs.matches(entry(path))).toBe(true));
  it.each([
    "/usr/lib/python3/dist-packages/x.dist-info/RECORD",
    "/usr/lib/python3/dist-packages/x.dist-info/METADATA.bak",
    "/usr/lib/python3/dist-packages/METADATA",
    "/srv/.dist-info/METADATA",
    "/usr/lib/python3/dist-packages/x.egg-info/SOURCES.txt",
    "/usr/lib/python3/dist-packages/PKG-INFO",
    "/srv/x.dist-info.d/METADATA",
  ])("does not match %s", (path) => expect(needs.matches(entry(path))).toBe(false));
});

describe("parseCoreMetadata", () => {
  it("stops at the first blank line and joins continuation lines", () => {
    const f = parseCoreMetadata("Name: a\nLicense: first\n        second\nVersion: 1\n\nName: body\n");
    expect(f.get("name")).toEqual(["a"]);
    expect(f.get("license")).toEqual(["first\nsecond"]);
    expect(f.get("version")).toEqual(["1"]);
  });
});

describe("python plugin", () => {
  it("reads a wheel's METADATA, licence from classifiers, purl normalised", async () => {
    const ctx = memoryContext();
    const path = "/usr/lib/python3/dist-packages/typing_extensions-4.12.2.dist-info/METADATA";
    const found = await pythonPlugin.analyze([memoryFile(path, WHEEL_METADATA)], ctx);
    expect(found.packages).toEqual([
      {
        name: "typing_extensions",
        version: "4.12.2",
        ecosystem: "pypi",
        purl: "pkg:pypi/typing-extensions@4.12.2",
        source: path,
        licenses: ["Python Software Foundation License"],
      },
    ]);
    expect(ctx.warnings).toEqual([]);
  });

  it("reads CRLF egg PKG-INFO; License field used when classifiers give only a grouping", async () => {
    const ctx = memoryContext();
    const found = await pythonPlugin.analyze([memoryFile("/x/six.egg-info", EGG_PKG_INFO)], ctx);
    expect(found.packages?.map((p) => [p.purl, p.licenses])).toEqual([["pkg:pypi/six@1.16.0", ["MIT"]]]);
  });

  it("prefers License-Expression; drops multi-line licence texts and UNKNOWN", async () => {
    const ctx = memoryContext();
    const files = [
      memoryFile(
        "/a/A.dist-info/METADATA",
        "Name: A\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nClassifier: License :: OSI Approved :: MIT License\n",
      ),
      memoryFile(
        "/b/B.dist-info/METADATA",
        "Name: B\nVersion: 2\nLicense: Copyright (c) X\n    Permission is hereby\n",
      ),
      memoryFile("/c/C.dist-info/METADATA", "Name: C\nVersion: 3\nLicense: UNKNOWN\n"),
    ];
    const found = await pythonPlugin.analyze(files, ctx);
    expect(found.packages?.map((p) => [p.name, p.licenses])).toEqual([
      ["A", ["MIT OR Apache-2.0"]],
      ["B", undefined],
      ["C", undefined],
    ]);
  });

  it("warns for files without Name/Version, binary junk and control characters, and keeps going", async () => {
    const ctx = memoryContext();
    const files = [
      memoryFile("/a/x.dist-info/METADATA", "Metadata-Version: 2.1\nSummary: no name\n"),
      memoryFile("/b/y.dist-info/METADATA", new Uint8Array([0xff, 0xfe, 0, 1, 2, 0x0a, 0x0a])),
      memoryFile("/c/z.dist-info/METADATA", "Name: evil\u001b[31m\nVersion: 1\n"),
      memoryFile("/d/ok.dist-info/METADATA", "Name: ok\nVersion: 1.0\n"),
    ];
    const found = await pythonPlugin.analyze(files, ctx);
    expect(found.packages?.map((p) => p.purl)).toEqual(["pkg:pypi/ok@1.0"]);
    expect(ctx.warnings.map((w) => w.path)).toEqual([
      "/a/x.dist-info/METADATA",
      "/b/y.dist-info/METADATA",
      "/c/z.dist-info/METADATA",
    ]);
  });

  it("reads only the headers of a file with a huge body", async () => {
    const body = "x".repeat(5_000_000);
    const ctx = memoryContext();
    const found = await pythonPlugin.analyze(
      [memoryFile("/a/big.dist-info/METADATA", `Name: big\nVersion: 9\n\n${body}`)],
      ctx,
    );
    expect(found.packages?.[0]?.purl).toBe("pkg:pypi/big@9");
  });
});

describe("python zipped eggs", () => {
  it("python: a zipped .egg is read by range: its directory and EGG-INFO/PKG-INFO, not the whole egg", async () => {
    const egg = buildZip([
      { name: "kitchen/__init__.py", data: "x".repeat(200_000), method: 0 },
      {
        name: "EGG-INFO/PKG-INFO",
        data: "Metadata-Version: 1.1\nName: kitchen\nVersion: 1.2.6\nLicense: LGPLv2+\n",
      },
    ]);
    const { file, stats } = countingFile(
      "/usr/lib/python2.7/site-packages/kitchen-1.2.6-py2.7.egg",
      egg,
      0o100644,
    );
    const ctx = memoryContext();
    const found = await pythonPlugin.analyze([file], ctx);
    expect(found.packages?.map((p) => [p.purl, p.licenses])).toEqual([
      ["pkg:pypi/kitchen@1.2.6", ["LGPLv2+"]],
    ]);
    expect(stats.whole).toBe(false);
    expect(stats.bytes).toBeLessThan(egg.length / 2);
    expect(ctx.warnings).toEqual([]);
  });

  it("python: an egg without EGG-INFO/PKG-INFO, or not a zip, is a warning", async () => {
    const ctx = memoryContext();
    const files = [
      countingFile("/a/x.egg", buildZip([{ name: "x.py", data: "pass" }])).file,
      memoryFile("/b/y.egg", "not a zip"),
    ];
    const found = await pythonPlugin.analyze(files, ctx);
    expect(found.packages).toEqual([]);
    expect(ctx.warnings.map((w) => w.path)).toEqual(["/a/x.egg", "/b/y.egg"]);
  });
});
