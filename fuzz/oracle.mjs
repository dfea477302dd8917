// What counts as a typed outcome: an error whose `code` is one docs/errors.md documents.
// Anything else thrown (a TypeError, a RangeError, an error with an undocumented code) is a finding.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./corpus.mjs";

/** The stable codes of docs/errors.md: the first backticked word of each table row. */
export function documentedCodes() {
  const text = readFileSync(join(REPO_ROOT, "docs/errors.md"), "utf8");
  const codes = new Set();
  for (const m of text.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`/gm)) codes.add(m[1]);
  return codes;
}

/** A predicate: is `err` an Error with a documented stable code? */
export function typedPredicate(codes = documentedCodes()) {
  return (err) => err instanceof Error && typeof err.code === "string" && codes.has(err.code);
}
