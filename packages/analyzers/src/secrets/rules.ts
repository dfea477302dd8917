// The built-in secret rules: well-known credential formats whose shape alone identifies them, the
// same kinds Trivy's built-in rule set covers (ids follow Trivy's so reports can be compared).
import type { Secret } from "../findings.js";

/** One secret rule. */
export interface SecretRule {
  readonly id: string;
  readonly title: string;
  readonly severity: Secret["severity"];
  /**
   * Lower-case strings of which at least one must occur in the (lower-cased) text before the
   * regex runs: most files hold none, and a substring search is far cheaper than a regex.
   */
  readonly keywords: readonly string[];
  /**
   * Global regex with the `d` flag and a `secret` group: the part that is masked in reports.
   * What lies outside the group (a `ghp_` prefix, a key name) is shown, so a reader can tell what
   * was found without seeing it.
   */
  readonly regex: RegExp;
}

// Tokens must not be glued to other word characters, or every long identifier would match.
const START = "(?<![A-Za-z0-9_])";
const END = "(?![A-Za-z0-9_])";

function rule(
  id: string,
  title: string,
  severity: Secret["severity"],
  keywords: readonly string[],
  source: string,
  flags = "",
): SecretRule {
  return { id, title, severity, keywords, regex: new RegExp(source, `gd${flags}`) };
}

/** The built-in rules. */
export const BUILTIN_SECRET_RULES: readonly SecretRule[] = [
  rule(
    "aws-access-key-id",
    "AWS Access Key ID",
    "CRITICAL",
    ["akia", "asia", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "a3t"],
    `(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|A3T[A-Z0-9])(?<secret>[A-Z0-9]{16})(?![A-Z0-9])`,
  ),
  rule(
    "aws-secret-access-key",
    "AWS Secret Access Key",
    "CRITICAL",
    ["aws"],
    // A 40-character key only counts next to a name that says what it is: `aws_secret_access_key = `,
    // `AWS_SECRET_KEY: "..."`, `"awsSecretAccessKey" => '...'`.
    `aws[_.-]?secret[_.-]?(?:access[_.-]?)?key["']?\\s*(?::|=>|=)\\s*["']?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])`,
    "i",
  ),
  rule(
    "github-pat",
    "GitHub Personal Access Token",
    "CRITICAL",
    ["ghp_"],
    `${START}ghp_(?<secret>[A-Za-z0-9]{36})${END}`,
  ),
  rule(
    "github-oauth",
    "GitHub OAuth Access Token",
    "CRITICAL",
    ["gho_"],
    `${START}gho_(?<secret>[A-Za-z0-9]{36})${END}`,
  ),
  rule(
    "github-app-token",
    "GitHub App Token",
    "CRITICAL",
    ["ghu_", "ghs_"],
    // Installation tokens (`ghs_`) grew a longer, dotted format in 2026; user tokens are 36 chars.
    `${START}gh[us]_(?<secret>[A-Za-z0-9][A-Za-z0-9._-]{35,1000})(?![A-Za-z0-9._-])`,
  ),
  rule(
    "github-refresh-token",
    "GitHub Refresh Token",
    "CRITICAL",
    ["ghr_"],
    `${START}ghr_(?<secret>[A-Za-z0-9]{76})${END}`,
  ),
  rule(
    "github-fine-grained-pat",
    "GitHub Fine-grained Personal Access Token",
    "CRITICAL",
    ["github_pat_"],
    `${START}github_pat_(?<secret>[A-Za-z0-9]{22}_[A-Za-z0-9]{59})${END}`,
  ),
  rule(
    "gitlab-pat",
    "GitLab Personal Access Token",
    "CRITICAL",
    ["glpat-"],
    `${START}glpat-(?<secret>[A-Za-z0-9_-]{20})(?![A-Za-z0-9_-])`,
  ),
  rule(
    "private-key",
    "Asymmetric Private Key",
    "HIGH",
    ["private key"],
    // The body's character class has no `-`, so the scan stops at the first dash after the header
    // and cannot backtrack across the file. `\\` admits JSON-escaped newlines (`\n`), as in GCP
    // service-account files. Encrypted PEM (with Proc-Type headers) is not matched.
    "-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----(?<secret>[A-Za-z0-9+/=\\s\\\\]{30,65536})-----END[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----",
  ),
  rule(
    "slack-access-token",
    "Slack Token",
    "HIGH",
    ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
    `${START}xox[abprs]-(?<secret>[A-Za-z0-9-]{10,200})(?![A-Za-z0-9-])`,
  ),
  rule(
    "slack-web-hook",
    "Slack Webhook",
    "MEDIUM",
    ["hooks.slack.com"],
    "https://hooks\\.slack\\.com/(?:services|workflows)/(?<secret>[A-Za-z0-9_]{8,12}/[A-Za-z0-9_]{8,12}/[A-Za-z0-9_]{16,40})",
  ),
  rule(
    "stripe-secret-token",
    "Stripe Secret Key",
    "CRITICAL",
    ["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
    `${START}[sr]k_(?:live|test)_(?<secret>[A-Za-z0-9]{10,255})${END}`,
  ),
  rule(
    "stripe-publishable-token",
    "Stripe Publishable Key",
    "LOW",
    ["pk_live_", "pk_test_"],
    `${START}pk_(?:live|test)_(?<secret>[A-Za-z0-9]{10,255})${END}`,
  ),
  rule(
    "google-api-key",
    "Google API Key",
    "HIGH",
    ["aiza"],
    `${START}AIza(?<secret>[A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])`,
  ),
  rule(
    "npm-access-token",
    "npm Access Token",
    "CRITICAL",
    ["npm_"],
    `${START}npm_(?<secret>[A-Za-z0-9]{36})${END}`,
  ),
  rule(
    "pypi-upload-token",
    "PyPI Upload Token",
    "HIGH",
    ["pypi-ageicHlwaS5vcmc".toLowerCase()],
    // Macaroons issued by pypi.org all start with the same base64 of their location.
    `${START}pypi-AgEIcHlwaS5vcmc(?<secret>[A-Za-z0-9_-]{50,2000})(?![A-Za-z0-9_-])`,
  ),
  rule(
    "hugging-face-access-token",
    "Hugging Face Access Token",
    "CRITICAL",
    ["hf_"],
    `${START}hf_(?<secret>[A-Za-z0-9]{34,40})${END}`,
  ),
  rule(
    "shopify-token",
    "Shopify Token",
    "HIGH",
    ["shpss_", "shpat_", "shpca_", "shppa_"],
    `${START}shp(?:ss|at|ca|pa)_(?<secret>[a-fA-F0-9]{32})${END}`,
  ),
  rule(
    "age-secret-key",
    "Age Secret Key",
    "MEDIUM",
    ["age-secret-key-1"],
    "AGE-SECRET-KEY-1(?<secret>[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})",
  ),
  rule(
    "jwt-token",
    "JWT Token",
    "MEDIUM",
    ["eyj"],
    // Header and payload are base64url JSON objects, so both start with `eyJ` (`{"`).
    `${START}eyJ(?<secret>[A-Za-z0-9_-]{10,8000}\\.eyJ[A-Za-z0-9_-]{10,8000}\\.[A-Za-z0-9_-]{10,8000})(?![A-Za-z0-9_-])`,
  ),
];
