// Maven coordinates from the metadata a jar carries: `META-INF/maven/<g>/<a>/pom.properties`
// (written by maven-archiver) and the main section of `META-INF/MANIFEST.MF` (JAR File
// Specification, "JAR Manifest"), with the attribute precedence Trivy's jar parser uses offline.
import { XMLParser } from "fast-xml-parser";

/** groupId, artifactId, version: all three present or the coordinates are not used. */
export interface MavenCoordinates {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
}

/** Lines of a properties or manifest file looked at; real ones have a few dozen. */
const MAX_LINES = 10_000;

/** Parses `pom.properties`; `undefined` unless groupId, artifactId and version are all set. */
export function parsePomProperties(text: string): MavenCoordinates | undefined {
  const props: Record<string, string> = {};
  for (const raw of text.split(/\r\n|\r|\n/, MAX_LINES)) {
    const line = raw.trim();
    if (line.startsWith("#") || line.startsWith("!")) continue;
    const m = /^(groupId|artifactId|version)\s*[=:]\s*(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) props[m[1]] = m[2].trim();
  }
  const { groupId, artifactId, version } = props;
  if (!groupId || !artifactId || !version) return undefined;
  return { groupId, artifactId, version };
}

/**
 * The main-section attributes of a manifest. The main section ends at the first empty line; the
 * per-entry sections after it describe files inside the jar, not the jar. A line starting with one
 * space continues the previous one.
 */
export function parseManifest(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  let current: string | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const colon = current.indexOf(":");
    if (colon > 0) attrs.set(current.slice(0, colon).trim(), current.slice(colon + 1).trim());
    current = undefined;
  };
  for (const line of text.split(/\r\n|\r|\n/, MAX_LINES)) {
    if (line === "") break;
    if (line.startsWith(" ")) current = (current ?? "") + line.slice(1);
    else {
      flush();
      current = line;
    }
  }
  flush();
  return attrs;
}

/** The first attribute present and usable: non-empty and not an OSGi `%localized` placeholder. */
function pick(attrs: ReadonlyMap<string, string>, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = attrs.get(n);
    if (v !== undefined && v !== "" && !v.startsWith("%")) return v;
  }
  return undefined;
}

/**
 * Coordinates guessed from manifest attributes, as Trivy does offline:
 * groupId from Implementation-Vendor-Id, else Bundle-SymbolicName without its last dot-segment,
 * else Implementation-Vendor, else Specification-Vendor; artifactId from Implementation-Title,
 * Specification-Title, Bundle-Name; version from Implementation-Version, Specification-Version,
 * Bundle-Version.
 */
export function manifestCoordinates(attrs: ReadonlyMap<string, string>): MavenCoordinates | undefined {
  let groupId = pick(attrs, ["Implementation-Vendor-Id"]);
  if (groupId === undefined) {
    // `Bundle-SymbolicName: com.fasterxml.jackson.core.jackson-databind;singleton:=true`
    const bsn = pick(attrs, ["Bundle-SymbolicName"])?.split(";")[0]?.trim();
    if (bsn !== undefined && bsn !== "") {
      const dot = bsn.lastIndexOf(".");
      groupId = dot > 0 ? bsn.slice(0, dot) : bsn;
    }
  }
  groupId ??= pick(attrs, ["Implementation-Vendor", "Specification-Vendor"]);
  const artifactId = pick(attrs, ["Implementation-Title", "Specification-Title", "Bundle-Name"]);
  const version = pick(attrs, ["Implementation-Version", "Specification-Version", "Bundle-Version"]);
  if (groupId === undefined || artifactId === undefined || version === undefined) return undefined;
  return { groupId, artifactId, version };
}

/**
 * artifactId and version from a file name such as `spring-core-5.3.4-SNAPSHOT.jar`, used only to
 * tell whether a pom.properties describes the jar itself (Trivy's `jarFileRegEx`, restated).
 */
export function fileNameCoordinates(fileName: string): { artifactId: string; version: string } | undefined {
  const m = /^([A-Za-z0-9._-]*[^-*])-(\d\S*?)\.[jwe]ar$/.exec(fileName);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  return { artifactId: m[1], version: m[2] };
}

/**
 * Licence names of a `pom.xml` (`<project><licenses><license><name>`), as Trivy's jar parser reads
 * them. Parsed with fast-xml-parser, entities off; at most 32.
 */
export function pomLicenses(text: string): string[] {
  const parser = new XMLParser({ ignoreAttributes: true, processEntities: false, removeNSPrefix: true });
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch {
    return [];
  }
  const rec = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const licenses = rec(rec(rec(doc)?.project)?.licenses)?.license;
  const list = Array.isArray(licenses) ? licenses : [licenses];
  const out: string[] = [];
  for (const l of list) {
    const name = rec(l)?.name;
    const text = typeof name === "string" ? name.trim() : undefined;
    if (text !== undefined && text !== "" && text.length <= 256 && !out.includes(text)) out.push(text);
    if (out.length >= 32) break;
  }
  return out;
}
