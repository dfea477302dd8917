#!/usr/bin/env node
// Scans an image and matches its packages against advisories, printing one line per finding.
// Without a database this uses the SAMPLE advisory store shipped with @rafscan/vulndb: a few
// illustrative records for the sample image, not real vulnerability data.
// Usage: node scan-vulnerabilities.mjs [IMAGE]   (default: the sample image)
import { scanImage } from "@rafscan/analyzers";
import { sampleImage } from "@rafscan/cli";
import { openImage } from "@rafscan/registry";
import { createMatcher, openSampleStore } from "@rafscan/vulndb";

const store = openSampleStore();
const image = await openImage(process.argv[2] ?? (await sampleImage()));
try {
  const report = await scanImage(image, { vulnerabilities: createMatcher(store) });
  const v = report.vulnerabilities;
  if (v.database?.sample) console.log("NOTE: sample advisory data, not a real vulnerability database");
  const r = v.release;
  if (r) console.log(`release: ${r.family} ${r.version} (${r.ecosystem ?? "no advisories"}, ${r.status})`);
  for (const f of v.findings) {
    const fix = f.fixedVersions.length > 0 ? `fixed in ${f.fixedVersions.join(", ")}` : f.status;
    const aka = f.aliases.length > 0 ? ` (also ${f.aliases.join(", ")})` : "";
    console.log(`${f.severity.padEnd(8)} ${f.id}${aka} ${f.packageName} ${f.installedVersion}: ${fix}`);
  }
  console.log(
    `${v.findings.length} findings in ${report.packages.length} packages; ${v.unmatched.length} not matched`,
  );
} finally {
  await image.close();
  store.close();
}
