// The `apk` analyzer: installed Alpine (and Wolfi/Chainguard) packages from the apk-tools database.
import type { Package } from "../findings.js";
import type { AnalyzerPlugin } from "../plugin.js";
import { purl } from "../purl.js";
import { parseApkInstalled } from "./apk-db.js";
import { apkLicenses } from "./licenses.js";

/** Where apk-tools keeps the installed database. */
export const APK_INSTALLED = "/lib/apk/db/installed";

/**
 * Installed apk packages. purl: `pkg:apk/<os family, else alpine>/<name>@<version>?arch=&distro=
 * <family>-<version>&upstream=<origin>` (`upstream` only when the origin differs from the name, as
 * Syft writes it).
 */
export const apkPlugin: AnalyzerPlugin = {
  id: "apk",
  version: "1.0.0",
  description: "Alpine packages from /lib/apk/db/installed",
  database: true,
  needs: [APK_INSTALLED],
  async analyze(files, ctx) {
    const namespace = ctx.os?.family || "alpine";
    const distro =
      ctx.os !== undefined && ctx.os.version !== "" ? `${ctx.os.family}-${ctx.os.version}` : undefined;
    const packages: Package[] = [];
    for (const file of files) {
      const records = parseApkInstalled(await file.text(), (line, reason) =>
        ctx.warn(`line ${line}: ${reason}`, file.path),
      );
      for (const r of records) {
        const upstream = r.origin !== undefined && r.origin !== r.name ? r.origin : undefined;
        packages.push({
          name: r.name,
          version: r.version,
          ecosystem: "apk",
          purl: purl("apk", namespace, r.name, r.version, { arch: r.arch, distro, upstream }),
          source: file.path,
          ...(r.arch !== undefined ? { arch: r.arch } : {}),
          ...(r.license !== undefined && apkLicenses(r.license).length > 0
            ? { licenses: apkLicenses(r.license) }
            : {}),
          ...(upstream !== undefined ? { sourceName: upstream } : {}),
        });
      }
    }
    return { packages };
  },
};
