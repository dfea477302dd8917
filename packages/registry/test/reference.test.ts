// Tests of image reference parsing: Docker Hub defaults, hosts with ports, tags, digests, and the
// malformed references distribution/reference rejects.
import { describe, expect, it } from "vitest";
import { RegistryErrorCode } from "../src/errors.js";
import { formatReference, parseReference } from "../src/reference.js";

const D = `sha256:${"ab".repeat(32)}`;

describe("parseReference", () => {
  it.each([
    ["alpine", "docker.io", "registry-1.docker.io", "library/alpine", undefined, undefined],
    ["alpine:3.20", "docker.io", "registry-1.docker.io", "library/alpine", "3.20", undefined],
    ["library/alpine", "docker.io", "registry-1.docker.io", "library/alpine", undefined, undefined],
    ["user/app:v1", "docker.io", "registry-1.docker.io", "user/app", "v1", undefined],
    ["docker.io/alpine", "docker.io", "registry-1.docker.io", "library/alpine", undefined, undefined],
    ["index.docker.io/user/app", "docker.io", "registry-1.docker.io", "user/app", undefined, undefined],
    ["ghcr.io/org/team/app:1.0-rc_2", "ghcr.io", "ghcr.io", "org/team/app", "1.0-rc_2", undefined],
    ["localhost/app", "localhost", "localhost", "app", undefined, undefined],
    ["localhost:5000/app:x", "localhost:5000", "localhost:5000", "app", "x", undefined],
    ["127.0.0.1:5000/x/y:tag", "127.0.0.1:5000", "127.0.0.1:5000", "x/y", "tag", undefined],
    ["[::1]:5000/app:t", "[::1]:5000", "[::1]:5000", "app", "t", undefined],
    ["Registry/app", "Registry", "Registry", "app", undefined, undefined],
    [`alpine@${D}`, "docker.io", "registry-1.docker.io", "library/alpine", undefined, D],
    [`q.io/a:t@${D}`, "q.io", "q.io", "a", "t", D],
    ["a/b__c/d-e.f--g:T_1", "docker.io", "registry-1.docker.io", "a/b__c/d-e.f--g", "T_1", undefined],
  ])("%s", (ref, registry, endpoint, repository, tag, digest) => {
    expect(parseReference(ref)).toEqual({ registry, endpoint, repository, tag, digest });
  });

  it.each([
    ["", "empty"],
    ["Alpine", "upper-case repository"],
    ["alpine:", "empty tag"],
    ["alpine:-x", "tag starting with -"],
    [`alpine:${"t".repeat(129)}`, "tag over 128"],
    ["alpine@sha256:abc", "short digest"],
    [`alpine@md5:${"a".repeat(32)}`, "unknown digest algorithm"],
    [`alpine@sha256:${"A".repeat(64)}`, "upper-case digest"],
    ["host:99999/app", "port out of range"],
    ["bad_host.io/app", "underscore in host"],
    ["-bad.io/app", "host starting with -"],
    ["ghcr.io/", "empty repository"],
    ["ghcr.io/a//b", "empty component"],
    ["ghcr.io/a_/b", "trailing separator"],
    ["ghcr.io/a.-b", "two separators"],
    ["a b", "space"],
    [`${"a".repeat(64)}`, "looks like an image id"],
    [`r.io/${"a".repeat(260)}`, "name over 255"],
  ])("rejects %j (%s)", (ref) => {
    expect(() => parseReference(ref)).toThrow(
      expect.objectContaining({ code: RegistryErrorCode.INVALID_REFERENCE }),
    );
  });

  it("formats the normalized form, which parses to the same reference", () => {
    for (const text of ["alpine", "ghcr.io/org/app:1", `127.0.0.1:5000/a@${D}`, `q.io/a:t@${D}`]) {
      const ref = parseReference(text);
      expect(parseReference(formatReference(ref))).toEqual(ref);
    }
    expect(formatReference(parseReference("alpine:3"))).toBe("docker.io/library/alpine:3");
  });
});
