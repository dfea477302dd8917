// Debian version syntax: `[epoch:]upstream_version[-debian_revision]`, defined in Debian Policy
// 5.6.12 (https://www.debian.org/doc/debian-policy/ch-controlfields.html#version). Only checked
// here, not compared: a version that breaks the syntax cannot be ordered, so it cannot be matched
// against advisories either, and dpkg itself refuses to install such a package.

/**
 * Why `version` is not a valid Debian version, or `undefined` when it is. As dpkg and Trivy's
 * go-deb-version: the epoch is digits; the upstream part starts with a digit and holds only
 * alphanumerics and `. + ~ - :`; the revision only alphanumerics and `. + ~`.
 */
export function debVersionProblem(version: string): string | undefined {
  let rest = version;
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    if (!/^[0-9]+$/.test(rest.slice(0, colon))) return "epoch is not a number";
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf("-");
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : undefined;
  if (upstream === "") return "empty upstream version";
  if (!/^[0-9]/.test(upstream)) return "upstream version does not start with a digit";
  if (!/^[0-9A-Za-z.+~:-]+$/.test(upstream)) return "invalid character in upstream version";
  if (revision !== undefined && !/^[0-9A-Za-z.+~]+$/.test(revision)) return "invalid character in revision";
  return undefined;
}
