// The rafscan command's user experience (issues 10 and 12): per-command help, --version, suggestions,
// -f/-o/-q/--debug/--no-color, RAFSCAN_* variables and the config file, options checked before any
// work, errors with one documented code (as JSON when JSON was asked for), and message wording.
// Each test is named after the behaviour that was missing or wrong.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createProgram, main, sampleImage } from "@rafscan/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO_ROOT } from "./support/fixtures.js";

let dir: string;
let sample: string;
/** An empty config home, so a config file of the machine's user cannot change what tests see. */
let noConfig: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rafscan-cli-ux-"));
  noConfig = join(dir, "no-config");
  mkdirSync(noConfig);
  sample = await sampleImage();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `rafscan ARGS` with extra environment variables (RAFSCAN_* of the caller removed). */
function run(args: readonly string[], env: Record<string, string> = {}) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("RAFSCAN_") && k !== "NO_COLOR"),
  );
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    timeout: 120_000,
    env: { ...base, XDG_CONFIG_HOME: noConfig, ...env },
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** A stream that keeps what is written; `tty` makes it look like a terminal. */
function capture(tty = false): Writable & { text: () => string; isTTY?: boolean; columns?: number } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  }) as Writable & { text: () => string; isTTY?: boolean; columns?: number };
  stream.text = () => Buffer.concat(chunks).toString();
  if (tty) {
    stream.isTTY = true;
    stream.columns = 200;
  }
  return stream;
}

describe("help and discovery", () => {
  it("scan --help prints scan's help with examples, not the global help", () => {
    const r = run(["scan", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: rafscan scan");
    expect(r.stdout).toContain("--budget");
    expect(r.stdout).toMatch(/Examples:\n {2}rafscan scan /);
    expect(r.stdout).not.toContain("pull-meta");
    expect(run(["help", "ls"]).stdout).toContain("Usage: rafscan ls");
  });

  it("--version prints the cli package version", () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "packages/cli/package.json"), "utf8"));
    const r = run(["--version"]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it("a mistyped command suggests the right one (rafscan scna)", () => {
    const r = run(["scna"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'scna'");
    expect(r.stderr).toContain("Did you mean scan?");
    expect(run(["ls", "--recursve"]).stderr).toContain("Did you mean --recursive?");
  });

  it("help says what --json prints: listings one object per line, scan one document", () => {
    expect(run(["--help"]).stdout).toMatch(/--json .*listings: one object per line; scan: one document/);
    expect(run(["scan", "--help"]).stdout).toContain("one indented JSON document");
    const r = run(["scan", "--analyzers", "os", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty("schemaVersion");
  });
});

describe("scan outputs", () => {
  it("-f is --format, and spdx-json / cyclonedx-json are format names", () => {
    const json = run(["scan", "--analyzers", "os", "-f", "json"]);
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).analyzers[0].id).toBe("os");
    const spdx = run(["scan", "--analyzers", "os", "-f", "spdx-json"]);
    expect(JSON.parse(spdx.stdout).spdxVersion).toBe("SPDX-2.3");
    const cdx = run(["scan", "--analyzers", "os", "--format", "cyclonedx-json"]);
    expect(JSON.parse(cdx.stdout).bomFormat).toBe("CycloneDX");
  });

  it("writes several outputs per run: -o FORMAT=FILE (repeatable) and -o FORMAT to stdout", () => {
    const bom = join(dir, "bom.json");
    const sbom = join(dir, "sbom.json");
    const r = run([
      "scan",
      "--analyzers",
      "os,dpkg",
      "-o",
      "json",
      "-o",
      `cyclonedx-json=${bom}`,
      "-o",
      `spdx=${sbom}`,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).schemaVersion).toBe(1);
    expect(JSON.parse(readFileSync(bom, "utf8")).bomFormat).toBe("CycloneDX");
    expect(JSON.parse(readFileSync(sbom, "utf8")).spdxVersion).toBe("SPDX-2.3");
    expect(r.stderr).toContain(`wrote cyclonedx report to ${bom}`);
    expect(run(["scan", "-o", "json", "-o", "table"]).status).toBe(2);
    const noDir = run(["scan", "-o", `json=${join(dir, "no-such-dir", "r.json")}`]);
    expect(noDir.status).toBe(2);
    expect(noDir.stderr).toContain("does not exist");
    expect(noDir.stderr).not.toContain("sample image");
  });

  it("table output to a file or pipe is not cut to 100 columns", () => {
    // The sample built under a long cache path makes the "Image:" line longer than 100 columns.
    const cache = join(dir, "c".repeat(120));
    const r = run(["scan", "--analyzers", "os"], { XDG_CACHE_HOME: cache });
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.startsWith("Image: ")) ?? "";
    expect(line).toContain(join(cache, "rafscan"));
    expect(line.length).toBeGreaterThan(100);
    expect(line).not.toContain("…");
  });

  it("analyzer versions are all semver (not a mix of 1.0.0 and 1)", () => {
    const list = run(["scan", "--list-analyzers", "--json"])
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; version: string });
    expect(list.length).toBeGreaterThan(10);
    for (const a of list) expect(a.version, a.id).toMatch(/^\d+\.\d+\.\d+/);
    const report = JSON.parse(run(["scan", "--analyzers", "os,python", "-f", "json"]).stdout);
    for (const a of report.analyzers) expect(a.version, a.id).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("options are checked before any work", () => {
  it("refuses options meaningless to a command as usage errors (ls --chunk-size 5, cat --format json)", () => {
    const r = run(["ls", "--chunk-size", "5"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--chunk-size'");
    expect(run(["cat", sample, "/etc/os-release", "--format", "json"]).status).toBe(2);
    expect(run(["pack", "a", "oci:b", "--platform", "linux/amd64"]).status).toBe(2);
  });

  it("refuses a malformed --platform (ls --platform bogus) with exit 2", () => {
    const r = run(["ls", "--platform", "bogus", "--json"]);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stderr).error).toMatchObject({
      code: "USAGE",
      message: expect.stringContaining("--platform"),
    });
  });

  it("scan --budget abc fails with the usage error before building the sample image", () => {
    const cache = join(dir, "untouched-cache");
    mkdirSync(cache);
    const r = run(["scan", "--budget", "abc"], { XDG_CACHE_HOME: cache });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--budget must be a byte count");
    expect(r.stderr).not.toContain("sample image");
    expect(readdirSync(cache)).toEqual([]);
    expect(run(["scan", "--analyzers", "nope"], { XDG_CACHE_HOME: cache }).status).toBe(2);
    expect(readdirSync(cache)).toEqual([]);
  });
});

describe("errors", () => {
  it("option-parse errors are JSON when --json was asked for (ls --bogus-flag --json)", () => {
    const r = run(["ls", "--bogus-flag", "--json"]);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stderr)).toEqual({
      error: { code: "USAGE", message: "unknown option '--bogus-flag'" },
    });
    expect(JSON.parse(run(["frobnicate", "--json"]).stderr).error.code).toBe("USAGE");
    expect(JSON.parse(run(["cat", "--json"]).stderr).error.code).toBe("USAGE");
  });

  it("prints the code once, not 'ENOENT: ENOENT:' or 'BUILD_BAD_INPUT: BUILD_BAD_INPUT:'", () => {
    const r = run(["stat", sample, "/no/such"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("rafscan: ENOENT: no such file or directory, lstat '/no/such'\n");
    const notTar = join(dir, "not-a-tar");
    writeFileSync(notTar, "hello\n");
    const b = run(["build", notTar, "-o", join(dir, "never")]);
    expect(b.status).toBe(1);
    expect(b.stderr).toMatch(/^rafscan: BUILD_BAD_INPUT: /);
    expect(b.stderr).not.toContain("BUILD_BAD_INPUT: BUILD_BAD_INPUT");
  });

  it("cat of a missing file says open, as node:fs does, not stat", () => {
    const r = run(["cat", sample, "/nope", "--json"]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stderr)).toEqual({
      error: { code: "ENOENT", message: "ENOENT: no such file or directory, open '/nope'" },
    });
  });

  it("every code the CLI prints is in docs/errors.md, EEXIST included; unknown errors are INTERNAL", async () => {
    const dest = join(dir, "twice");
    expect(run(["extract", sample, dest]).status).toBe(0);
    const again = run(["extract", sample, dest, "--json"]);
    expect(again.status).toBe(1);
    expect(JSON.parse(again.stderr).error.code).toBe("EEXIST");
    // An error with no documented code (here a stream failing with ERR_STREAM_DESTROYED).
    const stdout = new Writable({
      write(_chunk, _enc, done) {
        done(Object.assign(new Error("boom"), { code: "ERR_STREAM_DESTROYED" }));
      },
    });
    stdout.write = () => {
      throw Object.assign(new Error("boom"), { code: "ERR_STREAM_DESTROYED" });
    };
    const stderr = capture();
    const code = await main(["--version", "--json"], { stdout, stderr }, {});
    expect(code).toBe(1);
    expect(JSON.parse(stderr.text())).toEqual({
      error: { code: "INTERNAL", message: "ERR_STREAM_DESTROYED: boom" },
    });
    const errors = readFileSync(join(REPO_ROOT, "docs/errors.md"), "utf8");
    for (const c of ["USAGE", "CONFIG_INVALID", "INTERNAL", "EEXIST", "EACCES", "ENOENT"])
      expect(errors, c).toContain(`\`${c}\``);
    expect(errors).not.toMatch(/`ERROR`/);
  });

  it("--debug prints the stack trace of a failure on stderr", () => {
    const r = run(["cat", sample, "/nope", "--debug"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^rafscan: ENOENT: .*\n.*\n\s+at /s);
    expect(run(["cat", sample, "/nope"]).stderr).not.toMatch(/\n\s+at /);
  });
});

describe("quiet and colour", () => {
  it("-q / --quiet keeps notes off stderr (the sample-image note)", () => {
    expect(run(["ls"]).stderr).toContain("sample image");
    for (const q of ["-q", "--quiet"]) {
      const r = run(["ls", q]);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("/etc");
    }
  });

  it("honours --no-color and NO_COLOR in table output on a terminal", async () => {
    const scan = async (argv: string[], env: NodeJS.ProcessEnv) => {
      const stdout = capture(true);
      const code = await main(
        ["scan", "--analyzers", "os,dpkg", "-q", ...argv],
        { stdout, stderr: capture() },
        env,
      );
      expect(code).toBe(0);
      return stdout.text();
    };
    const ESC = "\x1b[";
    expect(await scan([], {})).toContain(ESC);
    expect(await scan(["--no-color"], {})).not.toContain(ESC);
    expect(await scan([], { NO_COLOR: "1" })).not.toContain(ESC);
  });
});

describe("environment variables and the config file", () => {
  const formatOf = (stdout: string) => {
    const doc = JSON.parse(stdout);
    return doc.bomFormat ? "cyclonedx" : doc.spdxVersion ? "spdx" : "json";
  };

  it("RAFSCAN_FORMAT (RAFSCAN_ + the option name) sets --format", () => {
    const r = run(["scan", "--analyzers", "os"], { RAFSCAN_FORMAT: "json" });
    expect(r.status, r.stderr).toBe(0);
    expect(formatOf(r.stdout)).toBe("json");
  });

  it("precedence is flag > env > config > default", () => {
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ quiet: true, scan: { format: "spdx" } }));
    const args = ["scan", "--analyzers", "os", "--config", config];
    expect(formatOf(run(args).stdout)).toBe("spdx");
    expect(formatOf(run(args, { RAFSCAN_FORMAT: "cyclonedx" }).stdout)).toBe("cyclonedx");
    expect(formatOf(run([...args, "-f", "json"], { RAFSCAN_FORMAT: "cyclonedx" }).stdout)).toBe("json");
    expect(run(["ls", "--config", config]).stderr).toBe(""); // quiet: true from the file
  });

  it("reads $XDG_CONFIG_HOME/rafscan/config.json by default", () => {
    const home = join(dir, "xdg");
    mkdirSync(join(home, "rafscan"), { recursive: true });
    writeFileSync(join(home, "rafscan", "config.json"), JSON.stringify({ format: "cyclonedx" }));
    expect(formatOf(run(["scan", "--analyzers", "os"], { XDG_CONFIG_HOME: home }).stdout)).toBe("cyclonedx");
  });

  it("refuses a config key that names no option, and a bad boolean in the environment", () => {
    const config = join(dir, "typo.json");
    writeFileSync(config, JSON.stringify({ "cache-dirr": "/tmp" }));
    const r = run(["ls", "--config", config, "--json"]);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: "CONFIG_INVALID" });
    expect(run(["ls", "--config", join(dir, "missing.json")]).status).toBe(2);
    const bad = run(["ls"], { RAFSCAN_INSECURE: "maybe" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("RAFSCAN_INSECURE");
    expect(run(["ls", "-q"], { RAFSCAN_INSECURE: "0" }).status).toBe(0);
  });
});

describe("messages", () => {
  it("says '1 file' and '1 blob', not '1 files' and '1 blobs'", () => {
    const src = join(dir, "one-file");
    mkdirSync(src);
    writeFileSync(join(src, "only"), "x");
    const r = run(["build", src, "-o", join(dir, "one-out")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(", 1 file, ");
    expect(r.stdout).toContain(" 1 blob of ");
    expect(r.stdout).not.toMatch(/\b1 (files|blobs|chunks)\b/);
  });
});

describe("docs/cli.md", () => {
  it("lists every command and option", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs/cli.md"), "utf8");
    const program = createProgram(
      { io: { stdout: capture(), stderr: capture() }, json: false, exitCode: 0 },
      {},
    );
    for (const o of program.options) if (o.long) expect(doc, o.long).toContain(`\`${o.long}`);
    for (const cmd of program.commands) {
      expect(doc, cmd.name()).toContain(`\`${cmd.name()}`);
      for (const o of cmd.options) if (o.long) expect(doc, `${cmd.name()} ${o.long}`).toContain(o.long);
    }
    for (const v of ["RAFSCAN_CACHE_DIR", "RAFSCAN_FORMAT", "RAFSCAN_INSECURE", "RAFSCAN_CONFIG", "NO_COLOR"])
      expect(doc, v).toContain(v);
    expect(existsSync(join(REPO_ROOT, "docs/cli.md"))).toBe(true);
  });
});
