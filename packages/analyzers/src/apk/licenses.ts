// apk `L:` licence fields as SPDX: Alpine writes SPDX expressions in new packages but short names in
// old ones (`GPL2`, `MIT BSD GPL2+`, `openssl`). The names are mapped to SPDX ids as Trivy maps them
// (its licensing.Normalize table), so that SBOMs from both tools agree; a valid SPDX expression is
// kept whole (Trivy splits it into its ids, which loses what OR and AND say).
import { canonicalLicenseId, normalizeExpression } from "../sbom/licenses.js";

// Short names seen in Alpine and other distributions' metadata, lower-cased, and their SPDX ids.
const NAMES: Readonly<Record<string, string>> = {
  gpl: "GPL-2.0-or-later",
  gpl2: "GPL-2.0-only",
  "gpl-2": "GPL-2.0-only",
  gplv2: "GPL-2.0-only",
  "gpl2+": "GPL-2.0-or-later",
  "gplv2+": "GPL-2.0-or-later",
  "gpl-2+": "GPL-2.0-or-later",
  gpl3: "GPL-3.0-only",
  gplv3: "GPL-3.0-only",
  "gpl-3": "GPL-3.0-only",
  "gpl3+": "GPL-3.0-or-later",
  "gplv3+": "GPL-3.0-or-later",
  "gpl-3+": "GPL-3.0-or-later",
  lgpl: "LGPL-2.0-or-later",
  lgpl2: "LGPL-2.0-only",
  "lgpl2+": "LGPL-2.0-or-later",
  "lgpl2.1": "LGPL-2.1-only",
  "lgpl-2.1": "LGPL-2.1-only",
  "lgpl2.1+": "LGPL-2.1-or-later",
  "lgpl-2.1+": "LGPL-2.1-or-later",
  lgpl3: "LGPL-3.0-only",
  "lgpl3+": "LGPL-3.0-or-later",
  agpl3: "AGPL-3.0-only",
  "agpl3+": "AGPL-3.0-or-later",
  bsd: "BSD-3-Clause",
  "bsd-2": "BSD-2-Clause",
  "bsd-3": "BSD-3-Clause",
  apache2: "Apache-2.0",
  "apache-2": "Apache-2.0",
  asl2: "Apache-2.0",
  "asl-2.0": "Apache-2.0",
  mpl2: "MPL-2.0",
  "mpl-2": "MPL-2.0",
  openssl: "OpenSSL",
  zlib: "Zlib",
  isc: "ISC",
  mit: "MIT",
  artistic: "Artistic-1.0-Perl",
  "python-2.0": "Python-2.0",
};

function mapName(token: string): string {
  return NAMES[token.toLowerCase()] ?? canonicalLicenseId(token) ?? token;
}

/**
 * The licences of one apk `L:` field: the field itself when it is an SPDX expression with an
 * operator (canonically spelt), else each space-separated name mapped to its SPDX id where one is
 * known (`MIT BSD GPL2+` gives `MIT`, `BSD-3-Clause`, `GPL-2.0-or-later`).
 */
export function apkLicenses(field: string): string[] {
  const text = field.trim();
  if (text === "") return [];
  if (/\s(?:AND|OR|WITH)\s/i.test(text)) {
    const expression = normalizeExpression(text);
    if (expression !== undefined) return [expression];
  }
  const out: string[] = [];
  for (const token of text.split(/[\s,]+/)) {
    if (token === "" || /^(?:and|or)$/i.test(token)) continue;
    const id = mapName(token);
    if (!out.includes(id)) out.push(id);
  }
  return out;
}
