// The `rafscan` command line: runs the command tree of program.ts and turns every outcome into an
// exit code (0 success, 1 failure, 2 usage) with errors on stderr (as JSON when JSON was asked for).
import { CommanderError } from "commander";
import type { CliContext } from "./cli-context.js";
import type { Io } from "./output.js";
import { parseBoolean } from "./parse-values.js";
import { createProgram } from "./program.js";
import { reportError } from "./report-error.js";
import { UsageError } from "./usage-error.js";

/** Whether the raw command line (or env) asks for JSON: used for errors found before options are parsed. */
function wantsJson(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const end = argv.indexOf("--");
  const args = end === -1 ? argv : argv.slice(0, end);
  if (args.includes("--json")) return true;
  try {
    return env.RAFSCAN_JSON !== undefined && parseBoolean(env.RAFSCAN_JSON, "RAFSCAN_JSON");
  } catch {
    return false;
  }
}

/** Runs the CLI; returns the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const ctx: CliContext = { io, json: wantsJson(argv, env), exitCode: 0 };
  const program = createProgram(ctx, env);
  let command: string | undefined;
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    command = program.args.find((a) => program.commands.some((c) => c.name() === a));
    if (err instanceof CommanderError) {
      // Help and --version end the run successfully; help for a bare `rafscan` is a usage error.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      if (err.code === "commander.help") return 2;
      const message = err.message.replace(/^error: /, "").replace(/\n/g, " ");
      return reportError(new UsageError(message), ctx.json, ctx.io, command);
    }
    return reportError(err, ctx.json, ctx.io, command);
  }
}
