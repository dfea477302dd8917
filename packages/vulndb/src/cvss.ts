// CVSS vectors (v2, v3.0, v3.1, v4.0): strict checks of the base metrics, base scores computed by
// ae-cvss-calculator, and the severity bands FIRST defines for each version.

import type { CvssScore, Severity } from "@rafscan/analyzers";
import cvssCalculator from "ae-cvss-calculator";

// ae-cvss-calculator is CommonJS: Node gives its exports as the default import only.
const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = cvssCalculator;

/** Allowed values of each base metric, per version: every one must be present exactly once. */
const BASE_METRICS: Readonly<Record<"2" | "3" | "4", Readonly<Record<string, string>>>> = {
  "2": { AV: "LAN", AC: "HML", Au: "MSN", C: "NPC", I: "NPC", A: "NPC" },
  "3": { AV: "NALP", AC: "LH", PR: "NLH", UI: "NR", S: "UC", C: "HLN", I: "HLN", A: "HLN" },
  "4": {
    AV: "NALP",
    AC: "LH",
    AT: "NP",
    PR: "NLH",
    UI: "NPA",
    VC: "HLN",
    VI: "HLN",
    VA: "HLN",
    SC: "HLN",
    SI: "HLN",
    SA: "HLN",
  },
};

/** Longest vector accepted: a full v4.0 vector with every optional metric is under 300 characters. */
const MAX_VECTOR_LENGTH = 512;

/**
 * The version a vector is written in (`2`, `3.0`, `3.1`, `4.0`), or `undefined` when it is not a
 * well-formed vector with all its base metrics. The calculator library fills missing metrics with
 * `X` and scores them, so the check is ours: a partial vector gets no score rather than a wrong one.
 */
export function cvssVersion(vector: string): "2" | "3.0" | "3.1" | "4.0" | undefined {
  if (vector.length > MAX_VECTOR_LENGTH) return undefined;
  const m = /^CVSS:(3\.0|3\.1|4\.0)\/(.*)$/.exec(vector);
  const version = (m?.[1] ?? "2") as "2" | "3.0" | "3.1" | "4.0";
  const body = m?.[2] ?? vector.replace(/^\(|\)$/g, "");
  const base = BASE_METRICS[version[0] as "2" | "3" | "4"];
  const seen = new Set<string>();
  for (const part of body.split("/")) {
    const colon = part.indexOf(":");
    if (colon <= 0) return undefined;
    const key = part.slice(0, colon);
    const value = part.slice(colon + 1);
    if (seen.has(key) || !/^[A-Z]{1,3}$/.test(value)) return undefined;
    seen.add(key);
    const allowed = base[key];
    if (allowed !== undefined && (value.length !== 1 || !allowed.includes(value))) return undefined;
  }
  for (const key of Object.keys(base)) if (!seen.has(key)) return undefined;
  return version;
}

/**
 * Scores already computed, by vector. The calculator builds dozens of objects a call, and a scan
 * meets the same few hundred vectors over and over (one record per binary package of a source).
 */
const SCORES = new Map<string, number | undefined>();
const MAX_CACHED_SCORES = 10_000;

/** Base score of `vector`, or `undefined` when the vector is not well formed. Never throws. */
export function cvssBaseScore(vector: string): number | undefined {
  if (SCORES.has(vector)) return SCORES.get(vector);
  const score = computeBaseScore(vector);
  if (SCORES.size >= MAX_CACHED_SCORES) SCORES.clear();
  SCORES.set(vector, score);
  return score;
}

function computeBaseScore(vector: string): number | undefined {
  const version = cvssVersion(vector);
  if (version === undefined) return undefined;
  try {
    const clean = version === "2" ? vector.replace(/^\(|\)$/g, "") : vector;
    const calc =
      version === "2"
        ? new Cvss2(clean)
        : version === "3.0"
          ? new Cvss3P0(clean)
          : version === "3.1"
            ? new Cvss3P1(clean)
            : new Cvss4P0(clean);
    const base = calc.calculateScores().base;
    return typeof base === "number" && Number.isFinite(base) && base >= 0 && base <= 10 ? base : undefined;
  } catch {
    // The library throws on values outside its tables (a metric we do not check, such as E:Q).
    return undefined;
  }
}

/** The OSV severity type of a vector by its prefix, or `undefined` when it is none we score. */
export function cvssType(vector: string): CvssScore["type"] | undefined {
  const v = cvssVersion(vector);
  return v === undefined ? undefined : v === "2" ? "CVSS_V2" : v === "4.0" ? "CVSS_V4" : "CVSS_V3";
}

/**
 * FIRST's qualitative rating of a base score: v3 and v4 `0.1-3.9` LOW, `4.0-6.9` MEDIUM,
 * `7.0-8.9` HIGH, `9.0-10` CRITICAL; v2 (NVD's bands) `0-3.9` LOW, `4.0-6.9` MEDIUM, `7.0-10` HIGH.
 * A score of 0 (rating "None") is LOW: the finding still exists, Severity has no NONE.
 */
export function cvssSeverity(type: CvssScore["type"], score: number): Severity {
  if (score >= 9 && type !== "CVSS_V2") return "CRITICAL";
  if (score >= 7) return "HIGH";
  if (score >= 4) return "MEDIUM";
  return "LOW";
}
