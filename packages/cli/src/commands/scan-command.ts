// `rafscan scan`: declares its arguments, options and help; loads scan.ts (and the analyzers) only
// when run, after every option has been checked.
import { Command, Option } from "commander";
import { type CliContext, withImage } from "../cli-context.js";
import { addImageOptions, checked, type ImageOptionValues, repeatable } from "../option-groups.js";
import { parseBytes } from "../parse-values.js";
import { parseFormat, scanOutputs } from "../scan-outputs.js";
import { dbDirOption } from "./db-command.js";

interface ScanValues extends ImageOptionValues {
  readonly format?: string;
  readonly output?: string[];
  readonly analyzers?: string;
  readonly enable?: string[];
  readonly listAnalyzers?: boolean;
  readonly secretPath?: string[];
  readonly budget?: string;
  readonly maxFileSize?: string;
  readonly dpkgFiles?: boolean;
  readonly licenses?: boolean;
  readonly allowIncomplete?: boolean;
  readonly scanners?: string;
  readonly severity?: string;
  readonly ignoreUnfixed?: boolean;
  readonly exitCode?: string;
  readonly ignorefile?: string;
  readonly vex?: string[];
  readonly dbDir?: string;
}

/** The `scan` command. */
export function scanCommand(ctx: CliContext): Command {
  const group = "Scan options:";
  const vulnGroup = "Vulnerability options:";
  const cmd = new Command("scan")
    .summary("find the OS and packages (and, opt-in, secrets) reading only the files analyzers need")
    .description(
      "Find the OS, OS packages and language packages (and, opt-in, binaries' modules and secrets), reading only the files the analyzers need, and match them against the advisory database. Exit 0 unless --exit-code N is given and findings remain after the filters; exit 3 when a package database could not be read (unless --allow-incomplete).",
    )
    .argument("[image]", "the image (default: the sample image)")
    .addOption(
      new Option(
        "-f, --format <F>",
        "table (default), json (the report), cyclonedx, spdx, sarif; also cyclonedx-json, spdx-json",
      )
        .argParser(parseFormat)
        .helpGroup(group),
    )
    .addOption(
      repeatable(
        "-o, --output <FORMAT=FILE>",
        "write FORMAT to FILE (repeatable); -o FORMAT alone: to stdout; -o FILE: the -f format to FILE",
      ).helpGroup(group),
    )
    .addOption(
      new Option(
        "--analyzers <LIST>",
        "comma-separated analyzer ids to run instead of the default set",
      ).helpGroup(group),
    )
    .addOption(
      repeatable(
        "--enable <ID>",
        "add an opt-in analyzer (secrets, node-lockfile, ...; repeatable)",
      ).helpGroup(group),
    )
    .addOption(
      new Option("--list-analyzers", "list analyzer ids, versions and whether they run by default").helpGroup(
        group,
      ),
    )
    .addOption(
      repeatable("--secret-path <GLOB>", "another glob the secrets analyzer reads (repeatable)").helpGroup(
        group,
      ),
    )
    .addOption(
      checked("--budget <N>", "total bytes all analyzers may read (64K, 10M, 2G)", (v) =>
        parseBytes(v, "--budget"),
      ).helpGroup(group),
    )
    .addOption(
      checked("--max-file-size <N>", "largest file an analyzer reads whole", (v) =>
        parseBytes(v, "--max-file-size"),
      ).helpGroup(group),
    )
    .addOption(
      new Option("--dpkg-files", "list the files each dpkg package owns (reads info/*.list)").helpGroup(
        group,
      ),
    )
    .addOption(new Option("--licenses", "read dpkg copyright files for licences").helpGroup(group))
    .addOption(
      new Option(
        "--allow-incomplete",
        "exit 0 even when a package database could not be read (else exit 3; the report still says so)",
      ).helpGroup(group),
    )
    .addOption(
      new Option(
        "--scanners <LIST>",
        "vuln, secret (comma-separated; default: vuln when an advisory database is installed)",
      ).helpGroup(vulnGroup),
    )
    .addOption(
      new Option(
        "--severity <LIST>",
        "keep findings of these severities: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
      ).helpGroup(vulnGroup),
    )
    .addOption(
      new Option("--ignore-unfixed", "drop findings that have no fixed version").helpGroup(vulnGroup),
    )
    .addOption(
      new Option("--exit-code <N>", "exit N when findings remain after the filters (default 0)").helpGroup(
        vulnGroup,
      ),
    )
    .addOption(
      new Option(
        "--ignorefile <FILE>",
        "ids to ignore, .trivyignore syntax or YAML (default: ./.trivyignore when present)",
      ).helpGroup(vulnGroup),
    )
    .addOption(
      repeatable("--vex <FILE>", "OpenVEX or CycloneDX VEX: not_affected/fixed suppress findings").helpGroup(
        vulnGroup,
      ),
    )
    .addOption(dbDirOption().helpGroup(vulnGroup))
    .addHelpText(
      "after",
      `
--json alone means -f json: the report as one indented JSON document (not one object per line).

Examples:
  rafscan scan registry.example.com/app:1.0
  rafscan scan ./out -f json > report.json
  rafscan scan ./out -o table -o json=report.json -o cyclonedx=bom.json
  rafscan scan ./out --enable secrets --budget 10M
  rafscan scan registry.example.com/app:1.0 --severity HIGH,CRITICAL --ignore-unfixed --exit-code 1
  rafscan scan ./out -o sarif=results.sarif --vex vex.json
  rafscan scan --list-analyzers`,
    );
  addImageOptions(cmd).action(async (image: string | undefined, opts: ScanValues) => {
    // Everything that can be checked without the image is checked before the image is opened
    // (or the sample built): a usage error must not cost a build or a download.
    const outputs = scanOutputs(opts.output, opts.format, ctx.json);
    const { listAnalyzers, prepareScan, runScan } = await import("./scan.js");
    if (opts.listAnalyzers === true) {
      ctx.exitCode = listAnalyzers(ctx.json, ctx.io);
      return;
    }
    const { prepareVulnerabilities } = await import("./scan-vulns.js");
    const vulns = await prepareVulnerabilities(
      {
        scanners: opts.scanners,
        severity: opts.severity,
        ignoreUnfixed: opts.ignoreUnfixed,
        exitCode: opts.exitCode,
        ignorefile: opts.ignorefile,
        vex: opts.vex,
      },
      { dbDir: opts.dbDir, sampleImage: image === undefined },
    );
    const plan = prepareScan({
      outputs,
      analyzers: opts.analyzers,
      enable: vulns.options.scanners.secret ? [...(opts.enable ?? []), "secrets"] : opts.enable,
      secretPaths: opts.secretPath,
      budget: opts.budget,
      maxFileSize: opts.maxFileSize,
      dpkgFiles: opts.dpkgFiles === true,
      licenses: opts.licenses === true,
      allowIncomplete: opts.allowIncomplete === true,
    });
    try {
      ctx.exitCode = await withImage(ctx, image, opts, (img) => runScan(img, plan, ctx.io, vulns));
    } finally {
      vulns.close();
    }
  });
  return cmd;
}
