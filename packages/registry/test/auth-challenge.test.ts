// WWW-Authenticate parsing (RFC 7235 auth-params) as registries send it, and its bounds on
// malformed or hostile headers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseChallenge } from "../src/auth-challenge.js";

describe("parseChallenge", () => {
  it("reads Docker Hub's Bearer challenge", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push"',
      ),
    ).toEqual({
      scheme: "bearer",
      params: {
        realm: "https://auth.docker.io/token",
        service: "registry.docker.io",
        scope: "repository:library/ubuntu:pull,push",
      },
    });
  });

  it("lower-cases the scheme and parameter names, not the values", () => {
    expect(parseChallenge('BASIC Realm="Registry Realm"')).toEqual({
      scheme: "basic",
      params: { realm: "Registry Realm" },
    });
  });

  it("accepts tokens, spaces around = and commas, and escapes in quoted strings", () => {
    expect(parseChallenge("Bearer realm=https://x/token,service=reg")?.params).toEqual({
      realm: "https://x/token",
      service: "reg",
    });
    expect(parseChallenge('Bearer realm = "x" , service = "y"')?.params).toEqual({
      realm: "x",
      service: "y",
    });
    expect(parseChallenge('Bearer realm="a\\"b\\\\c"')?.params).toEqual({ realm: 'a"b\\c' });
  });

  it("returns a scheme without parameters, and undefined for nothing", () => {
    expect(parseChallenge("Negotiate")).toEqual({ scheme: "negotiate", params: {} });
    expect(parseChallenge(undefined)).toBeUndefined();
    expect(parseChallenge("")).toBeUndefined();
    expect(parseChallenge("   ")).toBeUndefined();
    expect(parseChallenge('="x"')).toBeUndefined();
  });

  it("stops at a second challenge or at garbage", () => {
    expect(parseChallenge('Bearer realm="x", Basic realm="y"')?.params).toEqual({ realm: "x" });
    expect(parseChallenge('Bearer realm="x" garbage, service="y"')?.params).toEqual({ realm: "x" });
  });

  it("drops an unterminated quoted value (regression: it lost its last character)", () => {
    expect(parseChallenge('Bearer service="s",realm="https://auth.example/token')).toEqual({
      scheme: "bearer",
      params: { service: "s" },
    });
    expect(parseChallenge('Bearer realm="abc\\"')?.params).toEqual({});
  });

  it("reads only the first 8 KiB, quickly, whatever the header", () => {
    const t0 = performance.now();
    const huge = parseChallenge(`Bearer ${"a=b,".repeat(200_000)}`);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(Object.keys(huge?.params ?? {})).toEqual(["a"]);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        const c = parseChallenge(header);
        if (c !== undefined) {
          expect(c.scheme).toBe(c.scheme.toLowerCase());
          expect(c.scheme.length).toBeGreaterThan(0);
        }
      }),
    );
  });
});
