#!/usr/bin/env node
// Entry shim: kept as plain JS so the bin link exists before the TypeScript build has run.
import { main } from "../dist/main.js";

process.exitCode = await main(process.argv.slice(2));
