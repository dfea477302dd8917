// Tests of the os analyzer: os-release(5) quoting, release-file fallbacks and their precedence,
// and hostile input (binary junk, unterminated quotes) turning into warnings.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { osPlugin } from "../src/os/os-plugin.js";
import { parseOsRelease } from "../src/os/os-release.js";
import { parseReleaseFile } from "../src/os/release-files.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const DEBIAN_12 = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`;

async function run(files: Record<string, string | Uint8Array>) {
  const ctx = memoryContext();
  const findings = await osPlugin.analyze(
    Object.entries(files).map(([p, c]) => memoryFile(p, c)),
    ctx,
  );
  return { findings, warnings: ctx.warnings };
}

describe("parseOsRelease", () => {
  it("follows os-release(5) quoting: double quotes with escapes, single quotes, bare words", () => {
    const f = parseOsRelease(
      [
        "# a comment",
        'A="say \\"hi\\" \\$HOME \\\\ \\`x\\`"',
        "B='single $NOT \\n escaped'",
        "C=bare",
        "D=\"x\"y'z'",
        "E=",
        "  F = spaced  ",
        "G=1",
        "G=2",
      ].join("\n"),
    );
    expect(f.get("A")).toBe('say "hi" $HOME \\ `x`');
    expect(f.get("B")).toBe("single $NOT \\n escaped");
    expect(f.get("C")).toBe("bare");
    expect(f.get("D")).toBe("xyz");
    expect(f.get("E")).toBe("");
    expect(f.get("F")).toBe("spaced");
    expect(f.get("G")).toBe("2");
  });

  it("reports lines it cannot use and keeps the rest", () => {
    const bad: [number, string][] = [];
    const f = parseOsRelease(
      'ID=alpine\nnot an assignment\nNAME="unterminated\n1X=y\nVERSION_ID=3.20.1\r\n',
      (n, r) => bad.push([n, r]),
    );
    expect(Object.fromEntries(f)).toEqual({ ID: "alpine", VERSION_ID: "3.20.1" });
    expect(bad).toEqual([
      [2, "not a KEY=value assignment"],
      [3, "unterminated quote"],
      [4, "not a KEY=value assignment"],
    ]);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const f = parseOsRelease(s, () => {});
        for (const [k] of f) expect(k).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      }),
    );
  });
});

describe("parseReleaseFile", () => {
  it.each([
    ["/etc/alpine-release", "3.20.1\n", { family: "alpine", version: "3.20.1" }],
    ["/etc/debian_version", "12.5\n", { family: "debian", version: "12.5" }],
    ["/etc/debian_version", "trixie/sid\n", { family: "debian", version: "trixie/sid" }],
    [
      "/etc/lsb-release",
      'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.4 LTS"\n',
      { family: "ubuntu", version: "22.04", codename: "jammy", prettyName: "Ubuntu 22.04.4 LTS" },
    ],
    [
      "/etc/centos-release",
      "CentOS Linux release 7.9.2009 (Core)\n",
      { family: "centos", version: "7.9.2009", codename: "Core" },
    ],
    [
      "/etc/redhat-release",
      "Red Hat Enterprise Linux release 9.4 (Plow)\n",
      { family: "rhel", version: "9.4" },
    ],
    ["/etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)\n", { family: "rocky", version: "9.3" }],
    [
      "/etc/redhat-release",
      "AlmaLinux release 8.9 (Midnight Oncilla)\n",
      { family: "almalinux", version: "8.9" },
    ],
    ["/etc/fedora-release", "Fedora release 40 (Forty)\n", { family: "fedora", version: "40" }],
    ["/etc/system-release", "Amazon Linux release 2 (Karoo)\n", { family: "amzn", version: "2" }],
    ["/etc/system-release", "Amazon Linux AMI release 2018.03\n", { family: "amzn", version: "2018.03" }],
  ])("%s %j", (path, text, expected) => {
    expect(parseReleaseFile(path, text)).toMatchObject(expected);
  });

  it("rejects files that do not say which OS this is", () => {
    expect(parseReleaseFile("/etc/alpine-release", "")).toBeUndefined();
    expect(parseReleaseFile("/etc/alpine-release", "hello world")).toBeUndefined();
    expect(parseReleaseFile("/etc/redhat-release", "garbage")).toBeUndefined();
    expect(parseReleaseFile("/etc/lsb-release", "DISTRIB_ID=Ubuntu\n")).toBeUndefined();
    expect(parseReleaseFile("/etc/other", "1.0")).toBeUndefined();
  });
});

describe("osPlugin", () => {
  it("reads os-release with names and codename", async () => {
    const { findings, warnings } = await run({ "/etc/os-release": DEBIAN_12 });
    expect(findings.os).toEqual({
      family: "debian",
      version: "12",
      name: "Debian GNU/Linux",
      prettyName: "Debian GNU/Linux 12 (bookworm)",
      codename: "bookworm",
      source: "/etc/os-release",
    });
    expect(warnings).toEqual([]);
  });

  it("prefers /etc/os-release over /usr/lib/os-release and over release files", async () => {
    const { findings } = await run({
      "/usr/lib/os-release": "ID=fedora\nVERSION_ID=40\n",
      "/etc/debian_version": "12.5\n",
      "/etc/os-release": 'ID=ubuntu\nVERSION_ID="24.04"\nUBUNTU_CODENAME=noble\n',
      "/etc/lsb-release": "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n",
    });
    expect(findings.os).toMatchObject({
      family: "ubuntu",
      version: "24.04",
      codename: "noble",
      source: "/etc/os-release",
    });
  });

  it("takes the version from a release file of the same family when VERSION_ID is missing", async () => {
    const { findings } = await run({
      "/etc/os-release": 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nID=debian\n',
      "/etc/debian_version": "trixie/sid\n",
    });
    expect(findings.os).toMatchObject({ family: "debian", version: "trixie/sid", source: "/etc/os-release" });
  });

  it("falls back to release files, Ubuntu's lsb-release before its debian_version", async () => {
    const { findings } = await run({
      "/etc/debian_version": "bookworm/sid\n",
      "/etc/lsb-release": "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n",
    });
    expect(findings.os).toMatchObject({ family: "ubuntu", version: "22.04", source: "/etc/lsb-release" });
    const alpine = await run({ "/etc/alpine-release": "3.19.0\n" });
    expect(alpine.findings.os).toEqual({
      family: "alpine",
      version: "3.19.0",
      source: "/etc/alpine-release",
    });
  });

  it("skips an os-release without ID (with a warning) and uses the next source", async () => {
    const { findings, warnings } = await run({
      "/etc/os-release": "NAME=Something\n",
      "/usr/lib/os-release": "ID=alpine\nVERSION_ID=3.20.0\n",
    });
    expect(findings.os).toMatchObject({ family: "alpine", version: "3.20.0", source: "/usr/lib/os-release" });
    expect(warnings).toEqual([{ message: "os-release has no ID", path: "/etc/os-release" }]);
  });

  it("turns binary junk into warnings and no OS, without throwing", async () => {
    const junk = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
    const { findings, warnings } = await run({
      "/etc/os-release": junk,
      "/etc/redhat-release": junk,
      "/etc/alpine-release": junk,
    });
    expect(findings.os).toBeUndefined();
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.some((w) => w.path === "/etc/redhat-release")).toBe(true);
  });

  it("finds nothing when there are no files", async () => {
    expect((await run({})).findings).toEqual({});
  });
});
