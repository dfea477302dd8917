// The advisory side of `rafscan scan`: which database to match against (the installed one, or the
// labelled sample data for the sample image), the filter options, and what the report says when
// there is no database: never a silent empty list.
import { existsSync } from "node:fs";
import type { ScanReport, VulnerabilityMatcher } from "@rafscan/analyzers";
import {
  type AdvisoryStore,
  createMatcher,
  dbFilePath,
  defaultDbDir,
  openDatabase,
  openSampleStore,
} from "@rafscan/vulndb";
import { type RawVulnOptions, resolveScanVulnOptions, type ScanVulnOptions } from "./scan-vuln-options.js";

/** The code a report carries when vulnerabilities could not be checked for want of a database. */
export const NO_DATABASE = "VULNDB_NO_DATABASE";

/** What the scan needs to match and filter vulnerabilities. */
export interface ScanVulns {
  readonly options: ScanVulnOptions;
  /** Set when vulnerabilities are matched. */
  readonly matcher: VulnerabilityMatcher | undefined;
  /** Set when they would have been, but no database is installed: said in the report and on stderr. */
  readonly missing: { readonly code: string; readonly message: string } | undefined;
  /** True when the sample data (not real advisories) is used. */
  readonly sample: boolean;
  close(): void;
}

/** Where the database is, and whether this scan is of the sample image. */
export interface VulnContext {
  readonly dbDir: string | undefined;
  readonly sampleImage: boolean;
}

/**
 * Resolves the vulnerability options (reading ignore files and VEX documents, so a bad one fails
 * before the image is opened) and opens the database. The installed database wins; without one,
 * the sample image is matched against the shipped sample data, labelled as such.
 */
export async function prepareVulnerabilities(raw: RawVulnOptions, ctx: VulnContext): Promise<ScanVulns> {
  const dir = ctx.dbDir ?? defaultDbDir();
  const installed = existsSync(dbFilePath(dir));
  const sample = !installed && ctx.sampleImage;
  const options = await resolveScanVulnOptions(raw, { databaseAvailable: installed || sample });
  const missing = {
    code: NO_DATABASE,
    message: `no advisory database in ${dir}: run 'rafscan db pull REF', 'rafscan db build --osv PATH' or 'rafscan db import FILE'`,
  };
  const none = (why: typeof missing | undefined): ScanVulns => ({
    options,
    matcher: undefined,
    missing: why,
    sample: false,
    close() {},
  });
  // --scanners without vuln: not asked for, nothing to say.
  if (options.scanners.explicit && !options.scanners.vuln) return none(undefined);
  if (!installed && !sample) return none(missing);
  const store: AdvisoryStore = installed ? await openDatabase({ dbDir: dir }) : openSampleStore();
  return { options, matcher: createMatcher(store), missing: undefined, sample, close: () => store.close() };
}

/** The report with `vulnerabilities` saying why none were checked. */
export function withoutDatabase(report: ScanReport, missing: NonNullable<ScanVulns["missing"]>): ScanReport {
  return {
    ...report,
    vulnerabilities: { database: undefined, findings: [], suppressed: [], unmatched: [], error: missing },
  };
}
