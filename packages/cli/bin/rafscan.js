#!/usr/bin/env node
// Entry shim: kept as plain JS so the bin link exists before the TypeScript build has run.
import { main } from "../dist/main.js";

// `rafscan ls ... | head` closes the pipe early: stop quietly, as Unix tools do.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
