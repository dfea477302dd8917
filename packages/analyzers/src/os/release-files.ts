// Parsers for the distribution release files older images carry besides (or instead of) os-release:
// `/etc/alpine-release`, `/etc/debian_version`, `/etc/lsb-release` and the Red Hat family's
// `/etc/{redhat,centos,fedora,system}-release` ("<Name> release <version> (<codename>)").
import { type BadLine, parseOsRelease } from "./os-release.js";

/** What a release file says about the OS. `family` uses os-release `ID` values. */
export interface ReleaseInfo {
  readonly family: string;
  readonly version: string;
  readonly prettyName?: string;
  readonly codename?: string;
}

/** Release files in the order they are tried when os-release is missing or has no `ID`. */
export const RELEASE_FILES = [
  "/etc/alpine-release",
  "/etc/lsb-release",
  "/etc/centos-release",
  "/etc/fedora-release",
  "/etc/redhat-release",
  "/etc/system-release",
  // Last: Ubuntu images carry /etc/debian_version too (`bookworm/sid`), so it only means Debian
  // when nothing more specific is there.
  "/etc/debian_version",
] as const;

/** The first non-empty line, trimmed. */
function firstLine(text: string): string {
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t !== "") return t;
  }
  return "";
}

/** Names as Red Hat family release files write them → os-release IDs. */
const REDHAT_NAMES: readonly (readonly [RegExp, string])[] = [
  [/^centos/i, "centos"],
  [/^rocky/i, "rocky"],
  [/^alma/i, "almalinux"],
  [/^oracle/i, "ol"],
  [/^fedora/i, "fedora"],
  [/^amazon linux/i, "amzn"],
];

/** `<Name> release <version> [(<codename>)]`. */
const REDHAT_LINE = /^(.+?)\s+release\s+(\d[0-9A-Za-z.]*)(?:\s*\(([^)]*)\))?/;

/**
 * Parses the release file at `path` (one of {@link RELEASE_FILES}); undefined when it does not say
 * which OS this is. `onBadLine` hears about malformed lines of `/etc/lsb-release`.
 */
export function parseReleaseFile(path: string, text: string, onBadLine?: BadLine): ReleaseInfo | undefined {
  switch (path) {
    case "/etc/alpine-release": {
      const version = firstLine(text);
      return /^\d[\w.+-]*$/.test(version) ? { family: "alpine", version } : undefined;
    }
    case "/etc/debian_version": {
      // `12.5`, or `trixie/sid` on testing and unstable.
      const version = firstLine(text);
      return /^[\w.+/~-]+$/.test(version) ? { family: "debian", version } : undefined;
    }
    case "/etc/lsb-release": {
      const f = parseOsRelease(text, onBadLine);
      const id = f.get("DISTRIB_ID")?.trim().toLowerCase();
      const version = f.get("DISTRIB_RELEASE")?.trim();
      if (!id || version === undefined) return undefined;
      const prettyName = f.get("DISTRIB_DESCRIPTION");
      const codename = f.get("DISTRIB_CODENAME");
      return {
        family: id,
        version,
        ...(prettyName ? { prettyName } : {}),
        ...(codename ? { codename } : {}),
      };
    }
    case "/etc/centos-release":
    case "/etc/fedora-release":
    case "/etc/redhat-release":
    case "/etc/system-release": {
      const line = firstLine(text);
      const m = REDHAT_LINE.exec(line);
      if (m === null) return undefined;
      const name = m[1] as string;
      const family = REDHAT_NAMES.find(([re]) => re.test(name))?.[1] ?? "rhel";
      const codename = m[3]?.trim();
      return { family, version: m[2] as string, prettyName: line, ...(codename ? { codename } : {}) };
    }
    default:
      return undefined;
  }
}
