import { describe, expect, it } from "vitest";
import { rpmManifestPlugin } from "../src/manifests/rpm-manifest.js";
import { isSbomDocument, sbomDocumentPlugin } from "../src/manifests/sbom-documents.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const mariner = { family: "mariner", version: "2.0", source: "/etc/os-release" };

describe("rpm-manifest plugin", () => {
  it("reads a distroless container-manifest-2 (rpm -qa dump) and Bottlerocket's inventory", async () => {
    const manifest = [
      "busybox\t1.35.0-13.cm2\t1700000000\t1690000000\tMicrosoft Corporation\t(none)\t1234\tx86_64\t0\tbusybox-1.35.0-13.cm2.src.rpm",
      "openssl-libs\t1.1.1k-28.cm2\t1700000000\t1690000000\tMicrosoft Corporation\t1\t99\tx86_64\t1\topenssl-1.1.1k-28.cm2.src.rpm",
      "junk line",
    ].join("\n");
    const inventory = JSON.stringify({
      Content: [
        {
          Name: "systemd",
          Version: "252.22",
          Release: "1.1708026316.37f8db3d",
          Architecture: "x86_64",
          License: "LGPL-2.1-or-later",
        },
      ],
    });
    const ctx = memoryContext({ os: mariner });
    const found = await rpmManifestPlugin.analyze(
      [
        memoryFile("/var/lib/rpmmanifest/container-manifest-2", manifest),
        memoryFile("/usr/share/bottlerocket/application-inventory.json", inventory),
        memoryFile(
          "/root/buildinfo/content_manifests/ubi.json",
          JSON.stringify({ content_sets: ["rhel-8-for-x86_64-baseos-rpms"] }),
        ),
      ],
      ctx,
    );
    expect(found.packages?.map((p) => [p.name, p.version, p.arch, p.sourceName])).toEqual([
      ["busybox", "1.35.0-13.cm2", "x86_64", undefined],
      ["openssl-libs", "1:1.1.1k-28.cm2", "x86_64", "openssl"],
      ["systemd", "252.22-1.1708026316.37f8db3d", "x86_64", undefined],
    ]);
    expect(found.packages?.[0]?.purl).toBe(
      "pkg:rpm/mariner/busybox@1.35.0-13.cm2?arch=x86_64&distro=mariner-2.0",
    );
    expect(found.notes).toEqual([
      "Red Hat content sets (/root/buildinfo/content_manifests/ubi.json): rhel-8-for-x86_64-baseos-rpms",
    ]);
    expect(ctx.warnings).toEqual([
      {
        message: "line 3: not NAME<TAB>VERSION-RELEASE<TAB>... with at least 8 fields",
        path: "/var/lib/rpmmanifest/container-manifest-2",
      },
    ]);
  });
});

describe("sbom plugin", () => {
  it("matches SBOM documents at the known names, not inside node_modules", () => {
    const e = (path: string) => ({ path });
    expect(isSbomDocument(e("/app/app.cdx.json"))).toBe(true);
    expect(isSbomDocument(e("/usr/share/sbom/x.spdx.json"))).toBe(true);
    expect(isSbomDocument(e("/app/bom.json"))).toBe(true);
    expect(isSbomDocument(e("/opt/bitnami/redis/.spdx-redis.spdx"))).toBe(true);
    expect(isSbomDocument(e("/app/node_modules/x/bom.json"))).toBe(false);
    expect(isSbomDocument(e("/app/package.json"))).toBe(false);
  });

  it("takes packages by purl from CycloneDX (nested components) and SPDX documents", async () => {
    const cdx = {
      bomFormat: "CycloneDX",
      components: [
        {
          name: "jackson",
          purl: "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10",
          components: [{ purl: "pkg:npm/%40babel/core@7.0.0" }],
        },
        { name: "weird", purl: "pkg:generic/thing@1" },
        { name: "no-purl" },
      ],
    };
    const spdx = {
      spdxVersion: "SPDX-2.3",
      packages: [
        {
          name: "redis",
          externalRefs: [
            { referenceType: "purl", referenceLocator: "pkg:golang/github.com/redis/go-redis@v9.0.0" },
          ],
        },
      ],
    };
    const ctx = memoryContext();
    const found = await sbomDocumentPlugin.analyze(
      [
        memoryFile("/app/app.cdx.json", JSON.stringify(cdx)),
        memoryFile("/x/y.spdx.json", JSON.stringify(spdx)),
        memoryFile("/z/bom.json", "{}"),
      ],
      ctx,
    );
    expect(found.packages?.map((p) => [p.ecosystem, p.name, p.version])).toEqual([
      ["maven", "com.fasterxml.jackson.core:jackson-databind", "2.9.10"],
      ["npm", "@babel/core", "7.0.0"],
      ["golang", "github.com/redis/go-redis", "v9.0.0"],
    ]);
    expect(found.notes).toEqual([
      "/app/app.cdx.json: 1 SBOM entries without a supported purl were not taken",
    ]);
    expect(ctx.warnings.map((w) => w.path)).toEqual(["/z/bom.json"]);
  });
});
