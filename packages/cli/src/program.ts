// The `rafscan` command tree (commander): global options, the command list, env/config settings and
// help. Each command declares its own options in commands/<name>-command.ts; to add a command, add
// its factory to COMMANDS (see docs/cli.md, "Adding a command").
import { Command, Option } from "commander";
import type { CliContext } from "./cli-context.js";
import { buildCommand } from "./commands/build-command.js";
import { catCommand } from "./commands/cat-command.js";
import { checkCommand } from "./commands/check-command.js";
import { convertCommand } from "./commands/convert-command.js";
import { dbCommand } from "./commands/db-command.js";
import { extractCommand } from "./commands/extract-command.js";
import { inspectCommand } from "./commands/inspect-command.js";
import { lsCommand } from "./commands/ls-command.js";
import { packCommand } from "./commands/pack-command.js";
import { pullMetaCommand } from "./commands/pull-meta-command.js";
import { scanCommand } from "./commands/scan-command.js";
import { statCommand } from "./commands/stat-command.js";
import { applySettings } from "./settings.js";
import { cliVersion } from "./version.js";

/** Every command, in the order help lists them. */
export const COMMANDS: readonly ((ctx: CliContext) => Command)[] = [
  inspectCommand,
  lsCommand,
  catCommand,
  statCommand,
  checkCommand,
  extractCommand,
  scanCommand,
  buildCommand,
  packCommand,
  convertCommand,
  pullMetaCommand,
  dbCommand,
];

const GLOBAL_HELP = `
IMAGE is a registry reference (host[:port]/repo[:tag][@digest], Docker Hub short names), an OCI
image layout (oci:DIR[:TAG]), a bootstrap file, a data blob that carries one (TOC image.boot), or a
build output directory (DIR/bootstrap). Without IMAGE, scan/inspect/ls/check use a sample image.

Every option --NAME can also be set as the environment variable RAFSCAN_NAME (upper case, - as _;
e.g. RAFSCAN_CACHE_DIR, RAFSCAN_FORMAT, RAFSCAN_INSECURE=1) or as the key "NAME" in the config file
(--config FILE, default ~/.config/rafscan/config.json). Precedence: flag > env > config > default.
NO_COLOR turns colour off.

Exit codes: 0 success, 1 failure, 2 usage error.

Examples:
  rafscan scan registry.example.com/app:1.0
  rafscan ls ./out -R --json
  rafscan scan --help`;

/** Builds the command tree; actions write through `ctx` and set `ctx.exitCode`. */
export function createProgram(ctx: CliContext, env: NodeJS.ProcessEnv): Command {
  const program = new Command("rafscan")
    .description("Read Nydus (RAFS v5/v6) and EROFS images without mounting them, and scan them.")
    .usage("<command> [IMAGE] [args] [options]")
    .version(cliVersion(), "-V, --version", "print the rafscan version")
    .addOption(
      new Option(
        "--json",
        'machine-readable output: JSON on stdout (listings: one object per line; scan: one document) and errors as {"error":{"code","message"}} on stderr',
      ),
    )
    .option("-q, --quiet", "no notes or progress on stderr (errors still print)")
    .option("--debug", "stack traces and where each option value came from, on stderr")
    .option("--no-color", "no colour in table output (also NO_COLOR)")
    .option("--config <FILE>", "read option defaults from FILE (default ~/.config/rafscan/config.json)")
    .helpOption("-h, --help", "show help (rafscan COMMAND --help: that command's)")
    .helpCommand("help [command]", "show help for a command")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      // Errors are printed by main, in text or JSON, with a code.
      outputError: () => {},
    })
    .addHelpText("after", GLOBAL_HELP);
  // Settings (exit override, output, suggestions) reach subcommands of subcommands too (`db build`).
  const inherit = (cmd: Command, parent: Command): void => {
    cmd.copyInheritedSettings(parent);
    for (const sub of cmd.commands) inherit(sub, cmd);
  };
  for (const make of COMMANDS) {
    const cmd = make(ctx);
    inherit(cmd, program);
    program.addCommand(cmd);
  }
  program.hook("preAction", (_program, command) => {
    const applied = applySettings(program, command, env);
    const g = program.opts<{ json?: boolean; quiet?: boolean; debug?: boolean; color?: boolean }>();
    ctx.json = g.json === true;
    ctx.io = { ...ctx.io, quiet: g.quiet === true, debug: g.debug === true, color: g.color !== false };
    if (g.debug === true) {
      for (const a of applied)
        ctx.io.stderr.write(`rafscan: debug: --${a.key} = ${JSON.stringify(a.value)} (from ${a.source})\n`);
    }
  });
  return program;
}
