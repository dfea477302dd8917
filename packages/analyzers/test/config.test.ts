// Image config findings: user, ports, env names, secrets in env and history.
import { describe, expect, it } from "vitest";
import { analyzeImageConfig, isRootUser } from "../src/config/image-config.js";

// Assembled at run time so the source holds no secret-looking literal.
const FAKE_GHP = `ghp_${"Ab3".repeat(12)}`;
const FAKE_AWS_ID = `AKIA${"QX7Z".repeat(4)}`;

describe("image config", () => {
  it("reads user, ports, env names and secrets from a whole OCI config document", () => {
    const findings = analyzeImageConfig({
      architecture: "amd64",
      os: "linux",
      config: {
        User: "app:app",
        ExposedPorts: { "8080/tcp": {}, "53/udp": {} },
        Env: ["PATH=/usr/bin", `GITHUB_TOKEN=${FAKE_GHP}`, "EMPTY", `AWS_ACCESS_KEY_ID=${FAKE_AWS_ID}`],
      },
      history: [
        { created_by: "/bin/sh -c #(nop) ADD file:abc in /" },
        { created_by: `/bin/sh -c git clone https://x:${FAKE_GHP}@github.com/o/r` },
        { empty_layer: true },
      ],
    });
    expect(findings.user).toBe("app:app");
    expect(findings.runsAsRoot).toBe(false);
    expect(findings.exposedPorts).toEqual(["53/udp", "8080/tcp"]);
    expect(findings.envNames).toEqual(["PATH", "GITHUB_TOKEN", "EMPTY", "AWS_ACCESS_KEY_ID"]);
    expect(findings.secrets.map((s) => [s.path, s.line, s.ruleId])).toEqual([
      ["config:Env", 2, "github-pat"],
      ["config:Env", 4, "aws-access-key-id"],
      ["config:history", 2, "github-pat"],
    ]);
    expect(JSON.stringify(findings)).not.toContain(FAKE_GHP.slice(4));
    expect(findings.notes).toEqual([]);
  });

  it("accepts the inner config object and notes a root user", () => {
    const findings = analyzeImageConfig({ Env: ["A=1"] });
    expect(findings.runsAsRoot).toBe(true);
    expect(findings.user).toBe("");
    expect(findings.notes).toEqual(["config: no User set, the image runs as root"]);
    expect(analyzeImageConfig({ User: "0:0" }).notes).toEqual(["config: User 0:0 is root"]);
  });

  it("treats root, uid 0 and root:group as root, and others not", () => {
    expect(["", "root", "0", "00", "root:wheel", "0:1000", " root "].map(isRootUser)).toEqual(
      Array(7).fill(true),
    );
    expect(["app", "1000", "1000:0", "rooty", "nobody:root"].map(isRootUser)).toEqual(Array(5).fill(false));
  });

  it("ignores fields of the wrong type instead of throwing", () => {
    const findings = analyzeImageConfig({
      config: { User: 5, ExposedPorts: ["80/tcp"], Env: "A=1" },
      history: { created_by: "x" },
    } as Record<string, unknown>);
    expect(findings).toMatchObject({ user: "", exposedPorts: [], envNames: [], secrets: [] });
    expect(analyzeImageConfig({ config: { Env: [1, null, "B=2"] } }).envNames).toEqual(["B"]);
  });
});
