// The Java archive analyzer: Maven packages from jar/war/ear/par files and the archives nested in
// them, reading only the zip directory and the few entries that name packages.
import { posix } from "node:path";
import type { Package } from "../findings.js";
import { eachFile } from "../golang/each-file.js";
import { memoryReader, type RangeReader } from "../golang/range-reader.js";
import type { AnalyzerContext, AnalyzerPlugin } from "../plugin.js";
import { purl } from "../purl.js";
import {
  fileNameCoordinates,
  type MavenCoordinates,
  manifestCoordinates,
  parseManifest,
  parsePomProperties,
  pomLicenses,
} from "./maven-metadata.js";
import { readCentralDirectory, readEntry, storedEntryReader, type ZipEntry } from "./zip.js";

/** Limits for one top-level archive and everything nested in it. */
export interface JavaLimits {
  /** Deepest nesting read: 2 reads a jar in a jar in a war. Default 2. */
  readonly maxDepth: number;
  /** Largest compressed nested archive inflated into memory. Default 64 MiB. */
  readonly maxNestedSize: number;
  /** Total bytes of nested archives inflated into memory per top-level file. Default 256 MiB. */
  readonly maxNestedTotal: number;
  /** Nested archives opened per top-level file. Default 2 000. */
  readonly maxNestedArchives: number;
  /** `pom.properties` entries read per archive. Default 2 000. */
  readonly maxPomProperties: number;
  /** Largest MANIFEST.MF or pom.properties read. Default 1 MiB. */
  readonly maxMetadataSize: number;
}

/** Defaults for {@link JavaLimits}. */
export const DEFAULT_JAVA_LIMITS: JavaLimits = {
  maxDepth: 2,
  maxNestedSize: 64 << 20,
  maxNestedTotal: 256 << 20,
  maxNestedArchives: 2_000,
  maxPomProperties: 2_000,
  maxMetadataSize: 1 << 20,
};

const utf8 = new TextDecoder();

function isArchiveName(name: string): boolean {
  return /\.(?:jar|war|ear)$/i.test(name);
}

function mavenPackage(c: MavenCoordinates, source: string, licenses: readonly string[] = []): Package {
  return {
    // Trivy names Maven packages `groupId:artifactId`.
    name: `${c.groupId}:${c.artifactId}`,
    version: c.version,
    ecosystem: "maven",
    purl: purl("maven", c.groupId, c.artifactId, c.version),
    source,
    ...(licenses.length > 0 ? { licenses: [...licenses] } : {}),
  };
}

/** Counters shared by one top-level archive and its nested archives. */
interface Walk {
  nestedArchives: number;
  nestedBytes: number;
  readonly limits: JavaLimits;
  readonly ctx: Pick<AnalyzerContext, "warn">;
}

async function analyzeArchive(
  file: RangeReader,
  source: string,
  depth: number,
  walk: Walk,
): Promise<Package[]> {
  const entries = await readCentralDirectory(file);
  let manifest: ZipEntry | undefined;
  const poms: ZipEntry[] = [];
  // pom.xml beside each pom.properties: the licences (one more small entry per package).
  const pomXml = new Map<string, ZipEntry>();
  const nested: ZipEntry[] = [];
  for (const e of entries) {
    if (e.name.endsWith("/")) continue;
    const base = posix.basename(e.name);
    if (e.name.toUpperCase() === "META-INF/MANIFEST.MF") manifest = e;
    else if (base === "pom.properties") poms.push(e);
    else if (base === "pom.xml") pomXml.set(e.name, e);
    else if (isArchiveName(base)) nested.push(e);
  }
  const { limits } = walk;
  const packages: Package[] = [];
  const own = fileNameCoordinates(posix.basename(source));
  let ownFound = false;
  if (poms.length > limits.maxPomProperties) {
    walk.ctx.warn(
      `${poms.length} pom.properties files; only the first ${limits.maxPomProperties} read`,
      source,
    );
  }
  for (const e of poms.slice(0, limits.maxPomProperties)) {
    const c = parsePomProperties(utf8.decode(await readEntry(file, e, limits.maxMetadataSize)));
    if (c === undefined) continue;
    const xml = pomXml.get(`${e.name.slice(0, -"pom.properties".length)}pom.xml`);
    let licenses: string[] = [];
    if (xml !== undefined) {
      try {
        licenses = pomLicenses(utf8.decode(await readEntry(file, xml, limits.maxMetadataSize)));
      } catch (err) {
        walk.ctx.warn(err instanceof Error ? err.message : String(err), source);
      }
    }
    packages.push(mavenPackage(c, source, licenses));
    if (own !== undefined && own.artifactId === c.artifactId && own.version === c.version) ownFound = true;
  }
  // Without a pom.properties for the jar itself (shaded jars carry those of what they bundle),
  // the manifest may name it.
  if (!ownFound && manifest !== undefined) {
    const c = manifestCoordinates(
      parseManifest(utf8.decode(await readEntry(file, manifest, limits.maxMetadataSize))),
    );
    if (c !== undefined) packages.push(mavenPackage(c, source));
  }
  if (depth >= limits.maxDepth) {
    if (nested.length > 0)
      walk.ctx.warn(`${nested.length} archives nested deeper than ${limits.maxDepth} not read`, source);
    return packages;
  }
  for (const e of nested) {
    const inner = posix.join(source, e.name);
    // A name with `..` that climbs out of the archive (zip slip) names no real place: skip it.
    if (!inner.startsWith(`${source}/`)) continue;
    if (walk.nestedArchives >= limits.maxNestedArchives) {
      walk.ctx.warn(`more than ${limits.maxNestedArchives} nested archives; the rest not read`, source);
      break;
    }
    walk.nestedArchives++;
    try {
      let reader: RangeReader;
      if (e.method === 0) {
        // Stored (Spring Boot's BOOT-INF/lib): read the nested jar by range in place.
        reader = await storedEntryReader(file, e);
      } else {
        if (e.uncompressedSize > limits.maxNestedSize) {
          throw new Error(`nested archive is ${e.uncompressedSize} bytes (limit ${limits.maxNestedSize})`);
        }
        if (walk.nestedBytes + e.uncompressedSize > limits.maxNestedTotal) {
          throw new Error(`nested archives exceed ${limits.maxNestedTotal} bytes in total; not read`);
        }
        walk.nestedBytes += e.uncompressedSize;
        reader = memoryReader(await readEntry(file, e, limits.maxNestedSize));
      }
      packages.push(...(await analyzeArchive(reader, inner, depth + 1, walk)));
    } catch (err) {
      walk.ctx.warn(err instanceof Error ? err.message : String(err), inner);
    }
  }
  return packages;
}

/** Drops repeated packages (same name, version and source), keeping the first. */
function dedupe(packages: readonly Package[]): Package[] {
  const seen = new Set<string>();
  return packages.filter((p) => {
    const key = `${p.name}\0${p.version}\0${p.source}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Maven packages of one archive and the archives nested in it. Nested packages get the source
 * `<archive>/<entry name>`, as Trivy writes it.
 * @throws when the top-level archive is unreadable (nested failures are warnings)
 */
export async function analyzeJavaArchive(
  file: RangeReader,
  path: string,
  ctx: Pick<AnalyzerContext, "warn">,
  limits: JavaLimits = DEFAULT_JAVA_LIMITS,
): Promise<Package[]> {
  return dedupe(await analyzeArchive(file, path, 0, { nestedArchives: 0, nestedBytes: 0, limits, ctx }));
}

/** The Java archive analyzer (id `java-archive`): `**\/*.{jar,war,ear,par}`. */
export const javaArchiveAnalyzer: AnalyzerPlugin = {
  id: "java-archive",
  version: "1.0.0",
  description: "Maven packages from pom.properties and MANIFEST.MF in jar/war/ear/par files, nested ones too",
  needs: ["**/*.{jar,war,ear,par,JAR,WAR,EAR,PAR}"],
  access: "range",
  analyze: async (files, ctx) => ({
    packages: await eachFile(files, ctx, (file, fileCtx) => analyzeJavaArchive(file, file.path, fileCtx)),
  }),
};
