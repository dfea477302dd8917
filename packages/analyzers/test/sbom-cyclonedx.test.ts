// CycloneDX 1.6 writer: schema validity, the fields it fills, licence forms, dedupe and determinism.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Ecosystem, Package } from "../src/findings.js";
import { purl } from "../src/purl.js";
import type { ScanReport } from "../src/report.js";
import { type CdxComponent, type CycloneDxBom, toCycloneDx } from "../src/sbom/index.js";
import { sampleReport } from "./sbom-fixture.js";
import { cycloneDxSchema } from "./sbom-schemas.js";

const validate = cycloneDxSchema();
const SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79";

function byRef(bom: CycloneDxBom, ref: string): CdxComponent {
  const found = bom.components.find((c) => c["bom-ref"] === ref);
  if (found === undefined) throw new Error(`no component ${ref}`);
  return found;
}

function values(component: CdxComponent, name: string): string[] {
  return (component.properties ?? []).filter((p) => p.name === name).map((p) => p.value);
}

describe("toCycloneDx", () => {
  const report = sampleReport();
  const bom = toCycloneDx(report, { serialNumber: SERIAL, toolVersion: "0.1.0" });

  test("the sample report validates against the CycloneDX 1.6 schema", () => {
    expect(validate(bom)).toEqual([]);
    // Through JSON too: what the CLI prints is what must validate.
    expect(validate(JSON.parse(JSON.stringify(bom)))).toEqual([]);
  });

  test("the validator rejects a broken BOM (so the test above can fail)", () => {
    const broken = JSON.parse(JSON.stringify(bom));
    broken.components[1].licenses = [{ expression: "MIT" }, { expression: "ISC" }];
    expect(validate(broken).length).toBeGreaterThan(0);
    expect(validate({ ...bom, serialNumber: "not-a-uuid" }).length).toBeGreaterThan(0);
  });

  test("header and metadata", () => {
    expect(bom.bomFormat).toBe("CycloneDX");
    expect(bom.specVersion).toBe("1.6");
    expect(bom.version).toBe(1);
    expect(bom.serialNumber).toBe(SERIAL);
    expect(bom.metadata.timestamp).toBe("2024-03-01T12:34:56Z");
    expect(bom.metadata.tools.components).toEqual([
      { type: "application", name: "rafscan", version: "0.1.0" },
    ]);
    const image = bom.metadata.component;
    expect(image.type).toBe("container");
    expect(image.name).toBe("registry.example.com/team/app:1.2.3");
    expect(image["bom-ref"]).toBe(report.image.digest);
    expect(image.hashes).toEqual([
      { alg: "SHA-256", content: "4bc453b53cb3d914b45f4b250294236adba2c0e09ff6f03793949e7e39fd4cc1" },
    ]);
  });

  test("the OS comes first as an operating-system component, then libraries sorted by purl", () => {
    const [os, ...libs] = bom.components;
    expect(os).toMatchObject({ type: "operating-system", name: "debian", version: "12" });
    expect(os?.description).toBe("Debian GNU/Linux 12 (bookworm)");
    expect(libs.every((c) => c.type === "library")).toBe(true);
    const purls = libs.map((c) => c.purl ?? "");
    expect(purls).toEqual([...purls].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const c of libs) expect(c["bom-ref"]).toBe(c.purl);
  });

  test("duplicates are merged by purl and keep every source", () => {
    const refs = bom.components.map((c) => c["bom-ref"]);
    expect(new Set(refs).size).toBe(refs.length);
    // 44 unique purls + the OS; the report has 47 packages (3 npm packages found twice).
    expect(report.packages.length).toBe(47);
    expect(bom.components.length).toBe(45);
    const lodash = byRef(bom, "pkg:npm/lodash@4.17.21");
    expect(values(lodash, "rafscan:source")).toEqual([
      "/app/node_modules/lodash/package.json",
      "/usr/lib/node_modules/npm/node_modules/lodash/package.json",
    ]);
    expect(values(lodash, "rafscan:analyzer")).toEqual(["npm"]);
    // Same name, other ecosystem or other version: separate components.
    expect(byRef(bom, "pkg:pypi/semver@3.0.2").name).toBe("semver");
    expect(byRef(bom, "pkg:npm/semver@7.6.0").name).toBe("semver");
    expect(byRef(bom, "pkg:npm/lodash@3.10.1").version).toBe("3.10.1");
    expect(
      values(byRef(bom, "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64"), "rafscan:sourcePackage"),
    ).toEqual(["openssl@3.0.11-1~deb12u2"]);
  });

  test("odd names keep their spelling; the purl carries the encoding", () => {
    expect(byRef(bom, "pkg:npm/%40babel/core@7.24.0").name).toBe("@babel/core");
    expect(byRef(bom, "pkg:npm/caf%C3%A9@1.0.0").name).toBe("café");
    expect(byRef(bom, "pkg:pypi/my%20package@1.0+local.build").name).toBe("My Package");
    expect(byRef(bom, "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64").name).toBe("libstdc++6");
  });

  test("licences: ids, one expression, names, or none", () => {
    const lic = (ref: string) => byRef(bom, ref).licenses;
    expect(lic("pkg:npm/left-pad@1.3.0")).toEqual([{ license: { id: "WTFPL" } }]);
    // `bsd-3-clause` is matched case-insensitively to the canonical id.
    expect(lic("pkg:deb/debian/dash@0.5.12-2?arch=amd64")).toEqual([
      { license: { id: "BSD-3-Clause" } },
      { license: { id: "GPL-2.0-or-later" } },
    ]);
    // `MIT` and `mit` are one licence.
    expect(lic("pkg:gem/nokogiri@1.16.2")).toEqual([{ license: { id: "MIT" } }]);
    expect(lic("pkg:npm/dual@1.0.0")).toEqual([{ expression: "MIT OR Apache-2.0" }]);
    expect(lic("pkg:npm/lower-ops@1.0.0")).toEqual([{ expression: "MIT OR Apache-2.0" }]);
    // An id and an expression together: one expression, since 1.6 allows only one.
    expect(lic("pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64")).toEqual([
      { expression: "LGPL-2.1-or-later AND (GPL-2.0-or-later WITH GCC-exception-2.0)" },
    ]);
    expect(lic("pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1")).toEqual([
      { license: { name: "Apache License, Version 2.0" } },
    ]);
    expect(lic("pkg:pypi/uses-ref@0.1")).toEqual([{ expression: "LicenseRef-Proprietary" }]);
    expect(lic("pkg:npm/no-licence@0.0.1")).toBeUndefined();
  });

  test("an expression next to free text is kept as a name", () => {
    const mixed: ScanReport = {
      ...report,
      packages: [{ ...(report.packages[0] as Package), licenses: ["MIT OR ISC", "Custom licence"] }],
    };
    const out = toCycloneDx(mixed, { serialNumber: SERIAL });
    expect(out.components[1]?.licenses).toEqual([
      { license: { name: "MIT OR ISC" } },
      { license: { name: "Custom licence" } },
    ]);
    expect(validate(out)).toEqual([]);
  });

  test("deterministic: same input and serial give the same bytes, whatever the package order", () => {
    const again = toCycloneDx(sampleReport(), { serialNumber: SERIAL, toolVersion: "0.1.0" });
    expect(JSON.stringify(again)).toBe(JSON.stringify(bom));
    const shuffled = { ...report, packages: [...report.packages].reverse() };
    const fromShuffled = toCycloneDx(shuffled, { serialNumber: SERIAL, toolVersion: "0.1.0" });
    // Merged sources are sorted, so only the first-seen licence order could differ; here it does not.
    expect(JSON.stringify(fromShuffled)).toBe(JSON.stringify(bom));
  });

  test("serial numbers: random by default, a bare UUID is accepted, garbage is refused", () => {
    const a = toCycloneDx(report).serialNumber;
    const b = toCycloneDx(report).serialNumber;
    expect(a).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(toCycloneDx(report, { serialNumber: "3E671687-395B-41F5-A30F-A58921A69B79" }).serialNumber).toBe(
      SERIAL,
    );
    expect(() => toCycloneDx(report, { serialNumber: "urn:uuid:nope" })).toThrow(TypeError);
  });

  test("no OS, no digest, a purl equal to the image ref: refs stay unique and the BOM valid", () => {
    const bare: ScanReport = {
      ...report,
      image: { name: "oci:/tmp/layout", format: "erofs" },
      os: undefined,
      packages: [
        { name: "x", version: "1", ecosystem: "npm", purl: "rafscan:image/oci:/tmp/layout", source: "/x" },
        { name: "no purl", version: "", ecosystem: "pypi", purl: "", source: "/y" },
      ],
    };
    const out = toCycloneDx(bare, { serialNumber: SERIAL });
    expect(validate(out)).toEqual([]);
    expect(out.metadata.component["bom-ref"]).toBe("rafscan:image/oci:/tmp/layout");
    expect(out.metadata.component.hashes).toBeUndefined();
    expect(out.components.map((c) => c["bom-ref"])).toEqual([
      "rafscan:image/oci:/tmp/layout#2",
      "rafscan:pypi/no purl@",
    ]);
    expect(out.components[1]?.purl).toBeUndefined();
    expect(out.components[1]?.version).toBeUndefined();
    expect(out.dependencies).toEqual([
      {
        ref: "rafscan:image/oci:/tmp/layout",
        dependsOn: ["rafscan:image/oci:/tmp/layout#2", "rafscan:pypi/no purl@"],
      },
    ]);
  });

  test("property: any packages give a schema-valid BOM with unique refs", () => {
    const ecosystems: Ecosystem[] = ["deb", "apk", "rpm", "pypi", "npm", "gem", "composer", "nuget", "cargo"];
    const licence = fc.oneof(
      fc.constantFrom(
        "MIT",
        "mit",
        "GPL-2.0+",
        "MIT OR Apache-2.0",
        "(mit and zlib)",
        "LicenseRef-X",
        "GPLv2+",
        " ",
      ),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: "binary", maxLength: 8 }),
    );
    const pkg = fc
      .record({
        ecosystem: fc.constantFrom(...ecosystems),
        name: fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }),
        version: fc.string({ maxLength: 8 }),
        source: fc.string({ unit: "binary", maxLength: 16 }),
        licenses: fc.option(fc.array(licence, { maxLength: 4 }), { nil: undefined }),
      })
      .map(({ ecosystem, name, version, source, licenses }): Package => {
        let p = "";
        try {
          p = purl(ecosystem, undefined, name, version === "" ? undefined : version);
        } catch {
          // Some names are not valid for a type: such packages have no purl.
        }
        return {
          name,
          version,
          ecosystem,
          purl: p,
          source,
          foundBy: "prop",
          ...(licenses ? { licenses } : {}),
        };
      });
    fc.assert(
      fc.property(fc.array(pkg, { maxLength: 20 }), (packages) => {
        const out = toCycloneDx({ ...report, packages }, { serialNumber: SERIAL });
        expect(validate(JSON.parse(JSON.stringify(out)))).toEqual([]);
        const refs = [out.metadata.component["bom-ref"], ...out.components.map((c) => c["bom-ref"])];
        expect(new Set(refs).size).toBe(refs.length);
      }),
      { numRuns: 60 },
    );
  });
});
