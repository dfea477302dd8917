// The `os` analyzer: which distribution and release the image is, from os-release (preferred) or
// the distribution's release files. Its finding gives package purls their namespace and `distro`.
import type { OsInfo } from "../findings.js";
import type { AnalyzerPlugin, MatchedFile } from "../plugin.js";
import { parseOsRelease } from "./os-release.js";
import { parseReleaseFile, RELEASE_FILES, type ReleaseInfo } from "./release-files.js";

/** os-release locations in os-release(5)'s order of precedence. */
const OS_RELEASE_FILES = ["/etc/os-release", "/usr/lib/os-release"] as const;

/** These files are a few hundred bytes; anything much larger is not one. */
const MAX_RELEASE_FILE = 64 * 1024;

/**
 * Finds the OS. `/etc/os-release`, else `/usr/lib/os-release`, gives `family` (`ID`), `version`
 * (`VERSION_ID`) and names; when it has no `VERSION_ID` (Debian testing, Arch), a release file of the
 * same family supplies the version. Without a usable os-release, the first release file that parses
 * (see `RELEASE_FILES`) is used.
 */
export const osPlugin: AnalyzerPlugin = {
  id: "os",
  version: "1.0.0",
  description: "OS family and release from os-release and distribution release files",
  stage: "os",
  needs: [...OS_RELEASE_FILES, ...RELEASE_FILES],
  maxFileSize: MAX_RELEASE_FILE,
  async analyze(files, ctx) {
    const byPath = new Map<string, MatchedFile>(files.map((f) => [f.path, f]));
    const releases: (ReleaseInfo & { source: string })[] = [];
    for (const path of RELEASE_FILES) {
      const file = byPath.get(path);
      if (file === undefined) continue;
      const info = parseReleaseFile(path, await file.text(), (line, reason) =>
        ctx.warn(`line ${line}: ${reason}`, path),
      );
      if (info === undefined) ctx.warn("not a recognised release file", path);
      else releases.push({ ...info, source: path });
    }
    for (const path of OS_RELEASE_FILES) {
      const file = byPath.get(path);
      if (file === undefined) continue;
      const fields = parseOsRelease(await file.text(), (line, reason) =>
        ctx.warn(`line ${line}: ${reason}`, path),
      );
      const id = fields.get("ID")?.trim().toLowerCase();
      if (!id) {
        ctx.warn("os-release has no ID", path);
        continue;
      }
      const version =
        fields.get("VERSION_ID")?.trim() || releases.find((r) => r.family === id)?.version || "";
      const name = fields.get("NAME");
      const prettyName = fields.get("PRETTY_NAME");
      const codename = fields.get("VERSION_CODENAME") || fields.get("UBUNTU_CODENAME");
      const os: OsInfo = {
        family: id,
        version,
        source: path,
        ...(name ? { name } : {}),
        ...(prettyName ? { prettyName } : {}),
        ...(codename ? { codename } : {}),
      };
      return { os };
    }
    const first = releases[0];
    if (first === undefined) return {};
    const { source, family, version, prettyName, codename } = first;
    return {
      os: {
        family,
        version,
        source,
        ...(prettyName !== undefined ? { prettyName } : {}),
        ...(codename !== undefined ? { codename } : {}),
      },
    };
  },
};
