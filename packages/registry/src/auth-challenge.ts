// Parses `WWW-Authenticate` challenges (RFC 7235 auth-params), as registries send them:
// `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"`.

/** One challenge: the scheme, lower-cased, and its parameters (names lower-cased). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

// A parameter: token68-free `name=value` where value is a token or a quoted string with escapes.
const PARAM = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)\s*,?/y;

const QUOTED = /^"(?:[^"\\]|\\.)*"$/;

/**
 * Parses the first challenge of a header value. Registries send one; a second scheme after the
 * first one's parameters is ignored. Returns undefined for an empty or unparsable header.
 */
export function parseChallenge(header: string | undefined): AuthChallenge | undefined {
  if (header === undefined) return undefined;
  const text = header.slice(0, 8192);
  const m = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s+|$)/.exec(text);
  if (!m?.[1]) return undefined;
  const params: Record<string, string> = {};
  PARAM.lastIndex = m[0].length;
  // Each match consumes at least `x=`, so the loop ends within the (bounded) header length.
  for (let p = PARAM.exec(text); p !== null; p = PARAM.exec(text)) {
    const name = (p[1] ?? "").toLowerCase();
    let value = p[2] ?? "";
    if (value.startsWith('"')) {
      // An unterminated quoted string: nothing after it can be trusted to parse right.
      if (!QUOTED.test(value)) break;
      value = value.slice(1, -1).replace(/\\(.)/g, "$1");
    }
    params[name] = value;
    if (PARAM.lastIndex >= text.length) break;
  }
  return { scheme: m[1].toLowerCase(), params };
}
