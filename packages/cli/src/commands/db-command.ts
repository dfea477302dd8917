// `rafscan db build|pull|push|import|status`: declares the subcommands and their options; loads
// db.ts (and the advisory database package) only when one runs.
import { Command, Option } from "commander";
import type { CliContext } from "../cli-context.js";
import { repeatable } from "../option-groups.js";

interface DbValues {
  readonly dbDir?: string;
  readonly osv?: string[];
  readonly username?: string;
  readonly password?: string;
  readonly insecure?: boolean;
}

/** `--db-dir`, shared by every db subcommand and by scan. */
export function dbDirOption(): Option {
  return new Option(
    "--db-dir <DIR>",
    "the advisory database directory (default: $XDG_CACHE_HOME/rafscan/db or ~/.cache/rafscan/db)",
  );
}

/** Registry credentials for pull and push (no --platform: an artifact has one). */
function addCredentials(cmd: Command): Command {
  const group = "Registry options:";
  for (const o of [
    new Option(
      "--username <U>",
      "registry user (default: ~/.docker/config.json, credential helpers, anonymous)",
    ),
    new Option("--password <P>", "registry password or token (needs --username)"),
    new Option("--insecure", "plain HTTP to the registry"),
  ]) {
    cmd.addOption(o.helpGroup(group));
  }
  return cmd;
}

/** The `db` command and its subcommands. */
export function dbCommand(ctx: CliContext): Command {
  const db = new Command("db")
    .summary("the local advisory database: build, pull, push, import, status")
    .description(
      "The local advisory database (OSV data) that scan matches packages against. It opens without loading every record: an indexed SQLite file keyed by ecosystem, release and package name.",
    )
    .addHelpText(
      "after",
      `
Examples:
  rafscan db build --osv Debian-all.zip --osv PyPI-all.zip
  rafscan db build --osv https://example.org/osv/Debian/all.zip
  rafscan db pull registry.example.com/rafscan/db:1
  rafscan db status --json`,
    );
  const run =
    (sub: string) =>
    async (...args: unknown[]) => {
      // commander passes the positional arguments, then the options, then the command.
      const opts = args[args.length - 2] as DbValues;
      const positionals = args.slice(0, -2).filter((a): a is string => typeof a === "string");
      const { runDb } = await import("./db.js");
      ctx.exitCode = await runDb(
        sub,
        positionals,
        {
          dbDir: opts.dbDir,
          osv: opts.osv,
          username: opts.username,
          password: opts.password,
          insecure: opts.insecure === true,
        },
        ctx.json,
        ctx.io,
      );
    };
  db.addCommand(
    new Command("build")
      .description(
        "Build the database from OSV exports: per-ecosystem all.zip files, directories of OSV JSON, JSON Lines files, or http(s) URLs of zips.",
      )
      .addOption(dbDirOption())
      .addOption(repeatable("--osv <PATH>", "an OSV input: zip, directory, .jsonl, or URL (repeatable)"))
      .action(run("build")),
  );
  db.addCommand(
    addCredentials(
      new Command("pull")
        .description("Install a database published as an OCI artifact.")
        .argument("<ref>", "host[:port]/repo[:tag]")
        .addOption(dbDirOption()),
    ).action(run("pull")),
  );
  db.addCommand(
    addCredentials(
      new Command("push")
        .description("Publish the installed database as an OCI artifact.")
        .argument("<ref>", "host[:port]/repo[:tag]")
        .addOption(dbDirOption()),
    ).action(run("push")),
  );
  db.addCommand(
    new Command("import")
      .description("Install a database file taken offline (verified before it replaces the current one).")
      .argument("<file>", "a database file made by rafscan db build")
      .addOption(dbDirOption())
      .action(run("import")),
  );
  db.addCommand(
    new Command("status")
      .description(
        "Say which database is installed, where it came from and how old it is (exit 1 when none is usable).",
      )
      .addOption(dbDirOption())
      .action(run("status")),
  );
  return db;
}
