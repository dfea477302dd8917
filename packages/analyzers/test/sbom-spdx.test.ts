// SPDX 2.3 writer: the spec's rules the JSON schema does not check (ids, licence expressions,
// references), the fields it fills, determinism, and schema/tool validation where available.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import parse from "spdx-expression-parse";
import { describe, expect, test } from "vitest";
import type { Ecosystem, Package } from "../src/findings.js";
import { purl } from "../src/purl.js";
import type { ScanReport } from "../src/report.js";
import { type SpdxDocument, type SpdxPackage, toSpdx } from "../src/sbom/index.js";
import { sampleReport } from "./sbom-fixture.js";
import { SPDX_SCHEMA_PATH, spdxSchema } from "./sbom-schemas.js";

const NAMESPACE = "https://spdx.org/spdxdocs/rafscan-test-0b5c3c1e-3f43-4d3c-9a52-6f2d4b3a7f10";
const ID = /^SPDXRef-[A-Za-z0-9.-]+$/;
const LICENSE_REF = /^LicenseRef-[A-Za-z0-9.-]+$/;

/** Every LicenseRef an expression names. */
function licenseRefs(info: parse.Info): string[] {
  if ("conjunction" in info) return [...licenseRefs(info.left), ...licenseRefs(info.right)];
  return info.license.startsWith("LicenseRef-") ? [info.license] : [];
}

/** The SPDX 2.3 rules our documents must keep that its JSON schema leaves out. Returns problems. */
function checkSpdx(doc: SpdxDocument): string[] {
  const problems: string[] = [];
  if (doc.spdxVersion !== "SPDX-2.3" || doc.dataLicense !== "CC0-1.0" || doc.SPDXID !== "SPDXRef-DOCUMENT") {
    problems.push("bad header");
  }
  if (!/^https?:\/\/[^#\s]+$/.test(doc.documentNamespace)) problems.push("bad namespace");
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(doc.creationInfo.created)) problems.push("bad created");
  const ids = new Set<string>(["SPDXRef-DOCUMENT"]);
  for (const p of doc.packages) {
    if (!ID.test(p.SPDXID)) problems.push(`bad SPDXID ${p.SPDXID}`);
    if (ids.has(p.SPDXID)) problems.push(`duplicate SPDXID ${p.SPDXID}`);
    ids.add(p.SPDXID);
  }
  const defined = new Set((doc.hasExtractedLicensingInfos ?? []).map((e) => e.licenseId));
  const used = new Set<string>();
  for (const e of doc.hasExtractedLicensingInfos ?? []) {
    if (!LICENSE_REF.test(e.licenseId)) problems.push(`bad licenseId ${e.licenseId}`);
    if (e.extractedText === "") problems.push(`empty extractedText for ${e.licenseId}`);
  }
  if (defined.size !== (doc.hasExtractedLicensingInfos ?? []).length) problems.push("duplicate licenseId");
  for (const p of doc.packages) {
    if (p.downloadLocation !== "NOASSERTION" || p.filesAnalyzed !== false)
      problems.push(`${p.SPDXID}: fields`);
    if (p.licenseDeclared !== "NOASSERTION") {
      try {
        for (const ref of licenseRefs(parse(p.licenseDeclared))) {
          used.add(ref);
          if (!defined.has(ref)) problems.push(`${p.SPDXID}: ${ref} not defined`);
        }
      } catch {
        problems.push(`${p.SPDXID}: licenseDeclared '${p.licenseDeclared}' is not an SPDX expression`);
      }
    }
    for (const ref of p.externalRefs ?? []) {
      if (ref.referenceCategory !== "PACKAGE-MANAGER" || ref.referenceType !== "purl")
        problems.push("bad ref");
      if (!ref.referenceLocator.startsWith("pkg:") || /\s/.test(ref.referenceLocator))
        problems.push("bad purl");
    }
  }
  for (const id of defined) if (!used.has(id)) problems.push(`${id} defined but unused`);
  const contained = new Set<string>();
  for (const r of doc.relationships) {
    if (!ids.has(r.spdxElementId) || !ids.has(r.relatedSpdxElement)) problems.push(`dangling relationship`);
    if (r.relationshipType === "CONTAINS" && r.spdxElementId === "SPDXRef-Image")
      contained.add(r.relatedSpdxElement);
  }
  for (const p of doc.packages) {
    if (p.SPDXID !== "SPDXRef-Image" && !contained.has(p.SPDXID)) problems.push(`${p.SPDXID} not contained`);
  }
  for (const d of doc.documentDescribes) if (!ids.has(d)) problems.push(`describes unknown ${d}`);
  return problems;
}

function byPurl(doc: SpdxDocument, p: string): SpdxPackage {
  const found = doc.packages.find((x) => x.externalRefs?.[0]?.referenceLocator === p);
  if (found === undefined) throw new Error(`no package ${p}`);
  return found;
}

describe("toSpdx", () => {
  const report = sampleReport();
  const doc = toSpdx(report, { documentNamespace: NAMESPACE, toolVersion: "0.1.0" });

  test("the sample report keeps the SPDX 2.3 rules", () => {
    expect(checkSpdx(doc)).toEqual([]);
  });

  test("the checker catches broken documents (so the test above can fail)", () => {
    const [first, second] = doc.packages;
    if (first === undefined || second === undefined) throw new Error("sample too small");
    const duplicate = { ...doc, packages: [first, { ...second, SPDXID: first.SPDXID }] };
    expect(checkSpdx(duplicate)).toContain(`duplicate SPDXID ${first.SPDXID}`);
    const undefinedRef = { ...doc, hasExtractedLicensingInfos: [] };
    expect(checkSpdx(undefinedRef).some((p) => p.includes("not defined"))).toBe(true);
    const badId = { ...doc, packages: [{ ...first, SPDXID: "SPDXRef-a b" }] };
    expect(checkSpdx(badId)).toContain("bad SPDXID SPDXRef-a b");
  });

  test("header, creation info and the image root", () => {
    expect(doc.spdxVersion).toBe("SPDX-2.3");
    expect(doc.dataLicense).toBe("CC0-1.0");
    expect(doc.SPDXID).toBe("SPDXRef-DOCUMENT");
    expect(doc.name).toBe("registry.example.com/team/app:1.2.3");
    expect(doc.documentNamespace).toBe(NAMESPACE);
    expect(doc.creationInfo).toEqual({ created: "2024-03-01T12:34:56Z", creators: ["Tool: rafscan-0.1.0"] });
    expect(doc.documentDescribes).toEqual(["SPDXRef-Image"]);
    expect(doc.relationships[0]).toEqual({
      spdxElementId: "SPDXRef-DOCUMENT",
      relationshipType: "DESCRIBES",
      relatedSpdxElement: "SPDXRef-Image",
    });
    const [root, os] = doc.packages;
    expect(root).toMatchObject({
      SPDXID: "SPDXRef-Image",
      primaryPackagePurpose: "CONTAINER",
      versionInfo: report.image.digest,
      checksums: [
        {
          algorithm: "SHA256",
          checksumValue: "4bc453b53cb3d914b45f4b250294236adba2c0e09ff6f03793949e7e39fd4cc1",
        },
      ],
    });
    expect(os).toMatchObject({
      SPDXID: "SPDXRef-OperatingSystem",
      name: "debian",
      versionInfo: "12",
      primaryPackagePurpose: "OPERATING_SYSTEM",
    });
  });

  test("packages: merged by purl, sorted, with sanitised unique ids and purl refs", () => {
    // Image + OS + 44 unique purls.
    expect(doc.packages.length).toBe(46);
    expect(doc.relationships.filter((r) => r.relationshipType === "CONTAINS").length).toBe(45);
    const bash = byPurl(doc, "pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64");
    expect(bash).toEqual({
      SPDXID: "SPDXRef-Package-deb-bash-5.2.15-2-b2",
      name: "bash",
      versionInfo: "5.2.15-2+b2",
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      sourceInfo: "acquired package info from /var/lib/dpkg/status (found by dpkg)",
      licenseConcluded: "NOASSERTION",
      licenseDeclared: "GPL-3.0-or-later",
      copyrightText: "NOASSERTION",
      externalRefs: [
        {
          referenceCategory: "PACKAGE-MANAGER",
          referenceType: "purl",
          referenceLocator: "pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64",
        },
      ],
    });
    expect(byPurl(doc, "pkg:npm/%40babel/core@7.24.0").SPDXID).toBe("SPDXRef-Package-npm-babel-core-7.24.0");
    expect(byPurl(doc, "pkg:pypi/my%20package@1.0+local.build").SPDXID).toBe(
      "SPDXRef-Package-pypi-My-Package-1.0-local.build",
    );
    expect(byPurl(doc, "pkg:npm/caf%C3%A9@1.0.0").name).toBe("café");
    // A name with no ASCII letters is spelt in hex rather than dropped.
    expect(byPurl(doc, "pkg:npm/%E6%97%A5%E6%9C%AC%E8%AA%9E@1.0.0").SPDXID).toBe(
      "SPDXRef-Package-npm-E697A5E69CACE8AA9E-1.0.0",
    );
    expect(byPurl(doc, "pkg:npm/lodash@4.17.21").sourceInfo).toBe(
      "acquired package info from /app/node_modules/lodash/package.json, " +
        "/usr/lib/node_modules/npm/node_modules/lodash/package.json (found by npm)",
    );
  });

  test("licenseDeclared: ids, expressions, LicenseRefs for free text, NOASSERTION for none", () => {
    const declared = (p: string) => byPurl(doc, p).licenseDeclared;
    expect(declared("pkg:deb/debian/dash@0.5.12-2?arch=amd64")).toBe("BSD-3-Clause AND GPL-2.0-or-later");
    expect(declared("pkg:npm/lower-ops@1.0.0")).toBe("MIT OR Apache-2.0");
    expect(declared("pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64")).toBe(
      "LGPL-2.1-or-later AND (GPL-2.0-or-later WITH GCC-exception-2.0)",
    );
    expect(declared("pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1")).toBe(
      "LicenseRef-Apache-License-Version-2.0",
    );
    expect(declared("pkg:pypi/uses-ref@0.1")).toBe("LicenseRef-Proprietary");
    expect(declared("pkg:npm/no-licence@0.0.1")).toBe("NOASSERTION");
    expect(doc.hasExtractedLicensingInfos).toContainEqual({
      licenseId: "LicenseRef-Licence-libre",
      extractedText: "Licence libre ✓",
      name: "Licence libre ✓",
    });
    // One ref per distinct text, sorted by id.
    const ids = (doc.hasExtractedLicensingInfos ?? []).map((e) => e.licenseId);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toContain("LicenseRef-GPL-2");
  });

  test("free texts that sanitise alike get distinct refs; mixed lists join with AND", () => {
    const base = report.packages[0] as Package;
    const mixed: ScanReport = {
      ...report,
      packages: [
        { ...base, purl: "pkg:npm/a@1", name: "a", licenses: ["GPL v2", "GPL/v2", "MIT OR ISC"] },
        { ...base, purl: "pkg:npm/b@1", name: "b", licenses: ["GPL/v2"] },
      ],
    };
    const out = toSpdx(mixed, { documentNamespace: NAMESPACE });
    expect(checkSpdx(out)).toEqual([]);
    expect(out.packages[2]?.licenseDeclared).toBe(
      "LicenseRef-GPL-v2 AND LicenseRef-GPL-v2-2 AND (MIT OR ISC)",
    );
    expect(out.packages[3]?.licenseDeclared).toBe("LicenseRef-GPL-v2-2");
    expect(out.creationInfo.creators).toEqual(["Tool: rafscan"]);
  });

  test("deterministic given a namespace; a fresh https namespace otherwise", () => {
    const again = toSpdx(sampleReport(), { documentNamespace: NAMESPACE, toolVersion: "0.1.0" });
    expect(JSON.stringify(again)).toBe(JSON.stringify(doc));
    const reversed = { ...report, packages: [...report.packages].reverse() };
    expect(JSON.stringify(toSpdx(reversed, { documentNamespace: NAMESPACE, toolVersion: "0.1.0" }))).toBe(
      JSON.stringify(doc),
    );
    const a = toSpdx(report).documentNamespace;
    const b = toSpdx(report).documentNamespace;
    expect(a).toMatch(
      /^https:\/\/spdx\.org\/spdxdocs\/rafscan-registry\.example\.com-team-app-1\.2\.3-[0-9a-f-]{36}$/,
    );
    expect(a).not.toBe(b);
    expect(() => toSpdx(report, { documentNamespace: "not a uri" })).toThrow(TypeError);
    expect(() => toSpdx(report, { documentNamespace: "https://x.example/doc#frag" })).toThrow(TypeError);
  });

  test("no OS and no digest", () => {
    const bare = toSpdx(
      { ...report, os: undefined, image: { name: "/tmp/bootstrap", format: "rafs-v5" } },
      { documentNamespace: NAMESPACE },
    );
    expect(checkSpdx(bare)).toEqual([]);
    expect(bare.packages.some((p) => p.SPDXID === "SPDXRef-OperatingSystem")).toBe(false);
    expect(bare.packages[0]?.checksums).toBeUndefined();
    expect(bare.packages[0]?.versionInfo).toBeUndefined();
  });

  test("property: any packages keep the SPDX rules", () => {
    const ecosystems: Ecosystem[] = ["deb", "rpm", "pypi", "npm", "gem", "cargo", "maven"];
    const licence = fc.oneof(
      fc.constantFrom(
        "MIT",
        "mit",
        "GPL-2.0+",
        "MIT OR Apache-2.0",
        "LicenseRef-X",
        "LicenseRef-X AND MIT",
        "GPLv2+",
      ),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: "binary", maxLength: 8 }),
    );
    const pkg = fc
      .record({
        ecosystem: fc.constantFrom(...ecosystems),
        name: fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }),
        version: fc.string({ maxLength: 8 }),
        licenses: fc.option(fc.array(licence, { maxLength: 4 }), { nil: undefined }),
      })
      .map(({ ecosystem, name, version, licenses }): Package => {
        let p = "";
        try {
          p = purl(ecosystem, undefined, name, version === "" ? undefined : version);
        } catch {
          // Not a valid name for this type: the package goes without a purl.
        }
        return { name, version, ecosystem, purl: p, source: "/s", ...(licenses ? { licenses } : {}) };
      });
    const schema = spdxSchema();
    fc.assert(
      fc.property(fc.array(pkg, { maxLength: 20 }), (packages) => {
        const out = toSpdx({ ...report, packages }, { documentNamespace: NAMESPACE });
        expect(checkSpdx(out)).toEqual([]);
        if (schema !== undefined) expect(schema(JSON.parse(JSON.stringify(out)))).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  const schema = spdxSchema();
  test.skipIf(schema === undefined)(
    `validates against the SPDX 2.3 JSON schema (skipped unless RAFSCAN_SPDX_SCHEMA names it; now: ${SPDX_SCHEMA_PATH ?? "unset"})`,
    () => {
      expect(schema?.(JSON.parse(JSON.stringify(doc)))).toEqual([]);
      expect(schema?.({ ...doc, packages: [{ name: "no id" }] }).length).toBeGreaterThan(0);
    },
  );

  const pyspdxtools = (() => {
    try {
      execFileSync("pyspdxtools", ["--help"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  test.skipIf(!pyspdxtools)("pyspdxtools accepts the document (skipped: pyspdxtools not on PATH)", () => {
    const dir = mkdtempSync(join(tmpdir(), "rafscan-spdx-"));
    try {
      const file = join(dir, "doc.spdx.json");
      writeFileSync(file, JSON.stringify(doc));
      // Exits non-zero and prints the problems when the document is invalid.
      execFileSync("pyspdxtools", ["-i", file], { stdio: "pipe" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
