// Secret rules, masking and the secrets analyzer's scope, budget settings and notes.
import { describe, expect, it } from "vitest";
import type { MatchedFile } from "../src/plugin.js";
import { secretsAnalyzer, secretsScope } from "../src/secrets/plugin.js";
import { BUILTIN_SECRET_RULES } from "../src/secrets/rules.js";
import { MAX_SECRETS_PER_FILE, maskMatch, scanText } from "../src/secrets/scan.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

// Fake credentials are assembled at run time so that this file holds nothing a secret scanner
// (ours or a forge's) would flag.
function chars(
  n: number,
  alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  seed = 7,
) {
  let s = "";
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += alphabet[x % alphabet.length];
  }
  return s;
}
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const FAKE = {
  awsId: `AKIA${chars(16, UPPER)}`,
  awsSecret: chars(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"),
  ghp: `ghp_${chars(36)}`,
  gho: `gho_${chars(36, undefined, 3)}`,
  fineGrained: `github_pat_${chars(22)}_${chars(59, undefined, 5)}`,
  glpat: `glpat-${chars(20)}`,
  slack: `xoxb-${chars(12, "0123456789")}-${chars(12, "0123456789", 9)}-${chars(24)}`,
  slackHook: `https://hooks.slack.com/services/T${chars(8, UPPER)}/B${chars(8, UPPER)}/${chars(24)}`,
  stripe: `sk_live_${chars(24)}`,
  google: `AIza${chars(35)}`,
  npm: `npm_${chars(36)}`,
  jwt: `eyJ${chars(20)}.eyJ${chars(30)}.${chars(43)}`,
};
const PEM_BODY = Array.from({ length: 6 }, (_, i) => chars(64, undefined, i + 11)).join("\n");
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----\n`;

describe("secret rules", () => {
  it("find each kind, on the right line, with the secret masked", () => {
    const text = [
      "# app config",
      `aws_access_key_id = ${FAKE.awsId}`,
      `aws_secret_access_key = ${FAKE.awsSecret}`,
      `GITHUB_TOKEN=${FAKE.ghp}`,
      `oauth: ${FAKE.gho}`,
      `pat=${FAKE.fineGrained}`,
      `gitlab: "${FAKE.glpat}"`,
      `slack_token: ${FAKE.slack}`,
      `webhook: ${FAKE.slackHook}`,
      `stripe=${FAKE.stripe}`,
      `maps_key=${FAKE.google}`,
      `//registry.npmjs.org/:_authToken=${FAKE.npm}`,
      `Authorization: Bearer ${FAKE.jwt}`,
      PEM,
    ].join("\n");
    const { secrets, dropped } = scanText(text, "/app/.env");
    expect(dropped).toBe(0);
    expect(secrets.map((s) => [s.ruleId, s.line])).toEqual([
      ["aws-access-key-id", 2],
      ["aws-secret-access-key", 3],
      ["github-pat", 4],
      ["github-oauth", 5],
      ["github-fine-grained-pat", 6],
      ["gitlab-pat", 7],
      ["slack-access-token", 8],
      ["slack-web-hook", 9],
      ["stripe-secret-token", 10],
      ["google-api-key", 11],
      ["npm-access-token", 12],
      ["jwt-token", 13],
      ["private-key", 14],
    ]);
    const all = secrets.map((s) => s.match).join("\n");
    for (const [name, value] of Object.entries(FAKE)) {
      // The secret part of every value never appears, not even partly (8+ characters of it).
      const tail = value.slice(-12);
      expect(all.includes(tail), `${name} leaked in ${all}`).toBe(false);
    }
    expect(all).not.toContain(PEM_BODY.slice(0, 16));
    expect(secrets.find((s) => s.ruleId === "github-pat")?.match).toBe("ghp_****************");
    expect(secrets.find((s) => s.ruleId === "private-key")?.match).toBe(
      "-----BEGIN RSA PRIVATE KEY-----****************-----END RSA PRIVATE KEY-----",
    );
    expect(secrets.every((s) => s.path === "/app/.env")).toBe(true);
  });

  it("finds a private key inside a JSON service-account file (escaped newlines)", () => {
    const json = `{"type": "service_account",\n "private_key": "-----BEGIN PRIVATE KEY-----\\n${PEM_BODY.replaceAll("\n", "\\n")}\\n-----END PRIVATE KEY-----\\n"}`;
    expect(scanText(json, "/app/sa.json").secrets.map((s) => [s.ruleId, s.line])).toEqual([
      ["private-key", 2],
    ]);
  });

  it("does not fire on look-alikes: glued to identifiers, too short, placeholders", () => {
    const text = [
      `xghp_${chars(36)}`, // glued to a word
      `ghp_${chars(20)}`, // too short
      `AKIA${chars(16, UPPER)}X`, // too long
      "aws_secret_access_key = <your key here>",
      "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
      "sk_live_ short",
    ].join("\n");
    expect(scanText(text, "/etc/x").secrets).toEqual([]);
  });

  it("keeps every rule regex global with a secret group (the scanner depends on it)", () => {
    for (const r of BUILTIN_SECRET_RULES) {
      expect(r.regex.flags, r.id).toContain("g");
      expect(r.regex.flags, r.id).toContain("d");
      expect(r.regex.source, r.id).toContain("(?<secret>");
      expect(
        r.keywords.every((k) => k === k.toLowerCase()),
        r.id,
      ).toBe(true);
    }
  });

  it("caps hits per file and counts the rest", () => {
    const text = Array.from(
      { length: MAX_SECRETS_PER_FILE + 7 },
      (_, i) => `t=ghp_${chars(36, undefined, i + 1)}`,
    ).join("\n");
    const { secrets, dropped } = scanText(text, "/x");
    expect(secrets).toHaveLength(MAX_SECRETS_PER_FILE);
    expect(dropped).toBe(7);
  });

  it("scans a 1 MiB text with keywords everywhere in bounded time", () => {
    // Near-misses for every rule, repeated: exercises the regexes' worst paths.
    const unit = "AKIA aws_secret_key= ghp_ ghs_ -----BEGIN PRIVATE KEY-----AAAA eyJabc.eyJ xoxb- AIza ";
    const text = unit.repeat(Math.ceil((1 << 20) / unit.length));
    const t = performance.now();
    expect(scanText(text, "/x").secrets).toEqual([]);
    expect(performance.now() - t).toBeLessThan(3000);
  });

  it("masks long secrets with at most 16 asterisks and keeps excerpts short", () => {
    expect(maskMatch("key=abcdef", 4, 10)).toBe("key=******");
    expect(maskMatch(`a=${"x".repeat(100)}`, 2, 102)).toBe(`a=${"*".repeat(16)}`);
    expect(maskMatch(`${"p".repeat(300)}SECRET`, 300, 306).length).toBe(200);
  });
});

describe("secrets analyzer", () => {
  it("scopes to config places and leaves out package trees, binaries by name and big executables", () => {
    const inScope = secretsScope(["/data/**"]);
    const f = (path: string, size = 100, mode = 0o100644) => inScope({ path, size, mode });
    expect(f("/etc/app/config.yaml")).toBe(true);
    expect(f("/root/.aws/credentials")).toBe(true);
    expect(f("/home/u/.docker/config.json")).toBe(true);
    expect(f("/data/x.env")).toBe(true);
    expect(f("/usr/bin/env")).toBe(false);
    expect(f("/app/node_modules/pkg/test.key")).toBe(false);
    expect(f("/usr/local/lib/python3.12/site-packages/x/conf.py")).toBe(false);
    expect(f("/opt/app/lib/libfoo.so.1")).toBe(false);
    expect(f("/app/README.md")).toBe(false);
    expect(f("/etc/ssl/certs/ca-certificates.crt")).toBe(false);
    expect(f("/etc/short", 5)).toBe(false);
    expect(f("/opt/app/run.sh", 4000, 0o100755)).toBe(true);
    expect(f("/opt/app/server", 5 << 20, 0o100755)).toBe(false);
  });

  it("reports secrets, skips binary files with a note, and sets its budgets", async () => {
    const plugin = secretsAnalyzer({ budget: 1000, maxFileSize: 500 });
    expect(plugin.access).toBe("whole");
    expect(plugin.budget).toBe(1000);
    expect(plugin.maxFileSize).toBe(500);
    const binary = new Uint8Array(200);
    binary.set(new TextEncoder().encode(`ELF...${FAKE.ghp}`), 0);
    binary[150] = 0;
    const files: MatchedFile[] = [
      memoryFile("/root/.git-credentials", `https://user:${FAKE.ghp}@github.com\n`),
      memoryFile("/opt/tool/blob.dat", binary),
      memoryFile("/etc/clean.conf", "nothing to see here\n"),
    ];
    const ctx = memoryContext();
    const findings = await plugin.analyze(files, ctx);
    expect(findings.secrets?.map((s) => [s.path, s.ruleId, s.line])).toEqual([
      ["/root/.git-credentials", "github-pat", 1],
    ]);
    expect(findings.notes?.[0]).toMatch(/scanned 2 text files/);
    expect(findings.notes?.[0]).toMatch(/beyond the 1000-byte budget are listed as skipped/);
    expect(findings.notes?.[1]).toBe(
      "secrets: skipped 1 binary files (NUL in the first 8192 bytes): /opt/tool/blob.dat",
    );
    expect(ctx.warnings).toEqual([]);
  });

  it("turns a file the runner could not read into a warning", async () => {
    const broken: MatchedFile = {
      ...memoryFile("/etc/big", "x"),
      bytes: () => Promise.reject(new Error("budget spent")),
    };
    const ctx = memoryContext();
    const findings = await secretsAnalyzer().analyze([broken], ctx);
    expect(findings.secrets).toEqual([]);
    expect(ctx.warnings).toEqual([{ message: "budget spent", path: "/etc/big" }]);
  });
});
