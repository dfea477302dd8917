// The main module's version stamped by the linker: `go build -ldflags "-X main.version=1.2.3"`.
// The go command records the flags as the `-ldflags` build setting but leaves the module version
// `(devel)`; Trivy reads the version back from the flags, and so do we, by the same rule.

/** Splits a flags string into arguments as the go command does (spaces; '…' and "…" quoting). */
export function splitFlags(flags: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let has = false;
  for (const ch of flags) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur !== "") out.push(cur);
      cur = "";
      has = false;
    } else cur += ch;
  }
  if (has || cur !== "") out.push(cur);
  return out;
}

// Go's semver (golang.org/x/mod/semver) with its `v` optional: v1, v1.2, v1.2.3[-pre][+build].
const SEMVER = /^v?(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*)){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * The version given by an `-X <pkg>.version=<v>` (or `.Version`, `.ver`) in the `-ldflags` build
 * setting, when the value is a semantic version; otherwise `undefined`. The first such flag wins.
 */
export function ldflagsVersion(ldflags: string): string | undefined {
  const args = splitFlags(ldflags);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    let def: string | undefined;
    const m = /^--?X(=.*)?$/.exec(arg);
    if (m === null) continue;
    if (m[1] !== undefined) def = m[1].slice(1);
    else def = args[++i];
    if (def === undefined) break;
    const eq = def.indexOf("=");
    if (eq < 0) continue;
    const key = def.slice(0, eq).toLowerCase();
    const value = def.slice(eq + 1);
    if ((key.endsWith(".version") || key.endsWith(".ver")) && SEMVER.test(value)) return value;
  }
  return undefined;
}
