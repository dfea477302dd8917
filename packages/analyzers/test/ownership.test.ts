// Ownership: language packages installed by dpkg get `installedBy`, at the cost of the list files
// of language-named dpkg packages only; the SBOMs link the two. On a real image built from a tree.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildImage, readDirectory } from "@rafscan/builder";
import { FileBlobSource, type Image, openImage } from "@rafscan/vfs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { builtinAnalyzers } from "../src/builtin.js";
import { toCycloneDx } from "../src/sbom/cyclonedx.js";
import { toSpdx } from "../src/sbom/spdx.js";
import { scanImage } from "../src/scan.js";
import { unmatchableReason } from "../src/vulnerability.js";

const SIX_META = "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA";
const PIP_META = "/usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA";
const STATUS = [
  "Package: python3-six\nStatus: install ok installed\nArchitecture: all\nVersion: 1.16.0-4\n",
  "Package: python3-yaml\nStatus: install ok installed\nArchitecture: amd64\nVersion: 6.0-3+b2\n",
  "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n",
].join("\n");
const SIX_LIST = `/.\n/usr\n/usr/lib/python3/dist-packages/six-1.16.0.dist-info\n${SIX_META}\n/usr/lib/python3/dist-packages/six.py\n`;
const YAML_LIST = "/.\n/usr/lib/python3/dist-packages/yaml/__init__.py\n";
const TREE: Record<string, string> = {
  "etc/os-release": 'ID=debian\nVERSION_ID="12"\n',
  "var/lib/dpkg/status": STATUS,
  "var/lib/dpkg/info/python3-six.list": SIX_LIST,
  "var/lib/dpkg/info/python3-yaml:amd64.list": YAML_LIST,
  "var/lib/dpkg/info/bash:amd64.list": `/.\n/bin/bash\n${"/usr/share/doc/bash/x\n".repeat(500)}`,
  [SIX_META.slice(1)]: "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n",
  [PIP_META.slice(1)]: "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n",
};

let work: string;
const opened: Image[] = [];

async function imageOf(tree: Record<string, string>, name: string): Promise<Image> {
  const root = join(work, name, "root");
  const out = join(work, name, "out");
  for (const [path, content] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  await buildImage([readDirectory(root)], { outDir: out });
  const image = await openImage({
    bootstrap: join(out, "bootstrap"),
    blobs: (blob) => new FileBlobSource(join(out, "blobs", blob.id)),
  });
  opened.push(image);
  return image;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "rafscan-owners-"));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((i) => i.close()));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("dpkg ownership of language packages", () => {
  it("links a dist-packages distribution to its dpkg package, reading only python-named list files", async () => {
    const image = await imageOf(TREE, "a");
    const report = await scanImage(image, { analyzers: builtinAnalyzers() });
    const six = report.packages.find((p) => p.name === "six");
    const pyPkg = report.packages.find((p) => p.name === "python3-six");
    expect(six?.installedBy).toEqual({
      manager: "dpkg",
      name: "python3-six",
      version: "1.16.0-4",
      purl: pyPkg?.purl,
    });
    // pip's tree is not dpkg's: no owner, and it stays matchable.
    const requests = report.packages.find((p) => p.name === "requests");
    expect(requests?.installedBy).toBeUndefined();
    expect(requests && unmatchableReason(requests)).toBeUndefined();
    expect(six && unmatchableReason(six)).toMatch(/installed by dpkg package python3-six/);
    // Status plus the python3-* lists; never bash's.
    const dpkg = report.analyzers.find((a) => a.id === "dpkg");
    expect(dpkg?.bytesRead).toBe(
      Buffer.byteLength(STATUS) + Buffer.byteLength(SIX_LIST) + Buffer.byteLength(YAML_LIST),
    );
    expect(report.warnings).toEqual([]);

    const bom = toCycloneDx(report, { serialNumber: "00000000-0000-4000-8000-000000000000" });
    expect(bom.dependencies).toContainEqual({ ref: pyPkg?.purl, dependsOn: [six?.purl] });
    const sixComponent = bom.components.find((c) => c.purl === six?.purl);
    expect(sixComponent?.properties).toContainEqual({ name: "rafscan:installedBy", value: pyPkg?.purl });
    const spdx = toSpdx(report, { documentNamespace: "https://example.com/x" });
    const idOf = (purl: string | undefined) =>
      spdx.packages.find((p) => p.externalRefs?.some((r) => r.referenceLocator === purl))?.SPDXID;
    expect(spdx.relationships).toContainEqual({
      spdxElementId: idOf(pyPkg?.purl),
      relationshipType: "CONTAINS",
      relatedSpdxElement: idOf(six?.purl),
    });
  });

  it("reads no list file when no language package lies in a Debian language tree", async () => {
    const tree = { ...TREE };
    delete tree[SIX_META.slice(1)];
    const image = await imageOf(tree, "b");
    const report = await scanImage(image, { analyzers: builtinAnalyzers() });
    expect(report.analyzers.find((a) => a.id === "dpkg")?.bytesRead).toBe(Buffer.byteLength(STATUS));
  });
});
