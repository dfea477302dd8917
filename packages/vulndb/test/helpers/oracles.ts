// Finds the real tools the differential version tests compare against: a python3 that has a
// given module (python3-apt, python3-packaging), rpm with its Lua interpreter, PHP, Ruby, and Maven's
// ComparableVersion (a maven-artifact jar run by java).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

/** A python3 executable that can import `module`, or undefined. The Debian one comes first:
 * python3-apt installs there, not into a pyenv or venv python. */
export function pythonWith(module: string): string | undefined {
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(py, ["-c", `import ${module}`], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** True when `rpm --eval` runs Lua with rpm.vercmp. */
export function hasRpmLua(): boolean {
  const r = spawnSync("rpm", ["--eval", '%{lua: print(rpm.vercmp("1","2"))}'], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === "-1";
}

/** True when `ruby` runs (Gem::Version ships with it). */
export function hasRuby(): boolean {
  return (
    spawnSync("ruby", ["-e", 'print Gem::Version.new("1") <=> Gem::Version.new("2")'], { encoding: "utf8" })
      .stdout === "-1"
  );
}

/** True when `php` runs. */
export function hasPhp(): boolean {
  return spawnSync("php", ["-r", "echo version_compare('1','2');"], { encoding: "utf8" }).stdout === "-1";
}

/** A Maven `maven-artifact` jar and its version, when `java` runs: the newest in the local
 * Maven repository (~/.m2), else Debian's (/usr/share/maven/lib, libmaven3-core-java). */
export function mavenArtifactJar(): { jar: string; version: string } | undefined {
  if (spawnSync("java", ["-version"]).status !== 0) return undefined;
  const repo = join(homedir(), ".m2/repository/org/apache/maven/maven-artifact");
  const found: { jar: string; version: string }[] = [];
  if (existsSync(repo)) {
    for (const v of readdirSync(repo)) {
      const jar = join(repo, v, `maven-artifact-${v}.jar`);
      if (/^[0-9]+\.[0-9]+\.[0-9]+$/.test(v) && existsSync(jar)) found.push({ jar, version: v });
    }
  }
  const newest = found.sort((a, b) => compareDotted(b.version, a.version))[0];
  if (newest !== undefined) return newest;
  const debian = "/usr/share/maven/lib/maven-artifact-3.x.jar";
  return existsSync(debian) ? { jar: debian, version: "3.x (Debian)" } : undefined;
}

function compareDotted(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

// A one-file Java program: reads "a<TAB>b" lines, prints the sign of ComparableVersion(a)
// compared to ComparableVersion(b) per line.
const MAVEN_CMP = `import org.apache.maven.artifact.versioning.ComparableVersion;
import java.io.*;
public class MavenCmp {
  public static void main(String[] args) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    StringBuilder out = new StringBuilder();
    for (String line; (line = r.readLine()) != null; ) {
      int t = line.indexOf('\\t');
      int c = new ComparableVersion(line.substring(0, t)).compareTo(new ComparableVersion(line.substring(t + 1)));
      out.append(Integer.signum(c)).append('\\n');
    }
    System.out.print(out);
  }
}
`;

/** Compares each pair with Maven's ComparableVersion in one JVM; returns "-1", "0" or "1" each. */
export function mavenCompare(jar: string, pairs: readonly (readonly [string, string])[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "rafscan-mavencmp-"));
  try {
    const src = join(dir, "MavenCmp.java");
    writeFileSync(src, MAVEN_CMP);
    const r = spawnSync("java", ["-cp", jar, src], {
      input: pairs.map(([a, b]) => `${a}\t${b}\n`).join(""),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`java MavenCmp failed: ${r.stderr}`);
    return r.stdout.trim().split("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
