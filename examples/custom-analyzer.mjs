#!/usr/bin/env node
// A plugin of your own: a plain object that declares the files it needs and reports findings. This
// one lists the login shells in /etc/shells and tells scripts from binaries among the executables by
// reading their first bytes only, next to the built-in OS analyzer. Usage: node custom-analyzer.mjs [IMAGE]
import { builtinAnalyzers, scanImage } from "@rafscan/analyzers";
import { sampleImage } from "@rafscan/cli";
import { openImage } from "@rafscan/registry";

/** @type {import("@rafscan/analyzers").AnalyzerPlugin} */
const shells = {
  id: "shells",
  version: "1.0.0",
  description: "login shells, and scripts vs binaries among executables",
  // An exact path (followed through symlinks), and a predicate over every regular file's metadata:
  // the predicate costs no reads, only the walk of the bootstrap the runner does anyway.
  needs: ["/etc/shells", (entry) => (entry.mode & 0o111) !== 0],
  // "range": the runner reads nothing ahead; this plugin reads /etc/shells whole and only the first
  // bytes of each executable (a remote image then fetches one chunk per executable, not the file).
  access: "range",
  budget: 64 * 1024,
  async analyze(files, ctx) {
    const notes = [];
    for (const file of files) {
      if (file.path === "/etc/shells") {
        const list = (await file.text()).split("\n").filter((l) => l.startsWith("/"));
        notes.push(`login shells: ${list.join(", ") || "none"}`);
      } else {
        const head = Buffer.from(await file.read(0, 64));
        const kind = head.subarray(0, 4).equals(Buffer.from("\x7fELF", "latin1"))
          ? "ELF binary"
          : head.subarray(0, 2).toString() === "#!"
            ? `script (${head.toString("utf8").split("\n")[0]})`
            : "other";
        notes.push(`${file.path}: ${kind}`);
      }
    }
    if (files.length === 0) ctx.warn("no /etc/shells and no executables");
    return { notes };
  },
};

const image = await openImage(process.argv[2] ?? (await sampleImage()));
try {
  const os = builtinAnalyzers().filter((p) => p.id === "os");
  const report = await scanImage(image, { analyzers: [...os, shells] });
  console.log(`OS: ${report.os?.prettyName ?? "unknown"}`);
  for (const note of report.notes) console.log(note);
  for (const w of report.warnings) console.log(`warning (${w.plugin}): ${w.message}`);
  const mine = report.analyzers.find((a) => a.id === "shells");
  console.log(`shells analyzer: ${mine?.filesMatched} files matched, ${mine?.bytesRead} bytes read`);
} finally {
  await image.close();
}
