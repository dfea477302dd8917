#!/usr/bin/env node
// Scans an image for its OS and installed packages, reading only the files the analyzers need,
// and writes a CycloneDX SBOM. Usage: node scan-image.mjs [IMAGE] [SBOM_FILE]
//   IMAGE: a registry reference, oci:DIR[:TAG], or a bootstrap path (default: the sample image).
import { writeFileSync } from "node:fs";
import { scanImage, toCycloneDx } from "@rafscan/analyzers";
import { sampleImage } from "@rafscan/cli";
import { openImage } from "@rafscan/registry";

const image = await openImage(process.argv[2] ?? (await sampleImage()));
try {
  const report = await scanImage(image);
  console.log(`OS: ${report.os ? `${report.os.family} ${report.os.version}` : "unknown"}`);
  for (const p of report.packages) console.log(`${p.ecosystem.padEnd(6)} ${p.name} ${p.version}`);
  for (const w of report.warnings) console.warn(`warning (${w.plugin}): ${w.message}`);
  const t = report.telemetry;
  console.log(`read ${t.fileBytesRead} file bytes; fetched ${t.bytesFetched} of ${t.imageBytes} image bytes`);
  if (process.argv[3] !== undefined) {
    writeFileSync(process.argv[3], `${JSON.stringify(toCycloneDx(report), null, 2)}\n`);
    console.log(`CycloneDX SBOM written to ${process.argv[3]}`);
  }
} finally {
  await image.close();
}
