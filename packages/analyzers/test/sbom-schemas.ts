// Schema validators for the SBOM and SARIF tests. CycloneDX 1.6 (with the spdx and jsf schemas it refers to)
// comes from the @cyclonedx/cyclonedx-library devDependency (`res/schema/`). No npm or Debian
// package ships the SPDX 2.3 JSON schema, so that one is read from $RAFSCAN_SPDX_SCHEMA when set
// (the official spdx-spec `schemas/spdx-schema.json` at tag v2.3), and its tests skip otherwise.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import AjvModule from "ajv";
import AjvDraft04Module from "ajv-draft-04";
import addFormatsModule from "ajv-formats";

/** Validates a document; returns the schema errors as text (empty when valid). */
export type SchemaCheck = (doc: unknown) => string[];

const require = createRequire(import.meta.url);
// Both are CommonJS: Node hands an ES module their `module.exports`, whose `default` is the export.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
const AjvDraft04 = AjvDraft04Module.default;

function ajvFor(schemas: readonly object[], id: string): SchemaCheck {
  // strict off: the published schemas use keywords Ajv does not know (`meta:enum`, `deprecated`).
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Formats from later JSON Schema drafts that ajv-formats lacks; nothing we emit uses them.
  ajv.addFormat("iri-reference", true);
  ajv.addFormat("idn-email", true);
  for (const schema of schemas) ajv.addSchema(schema);
  const validate = ajv.getSchema(id);
  if (validate === undefined) throw new Error(`schema ${id} did not load`);
  return (doc) => {
    if (validate(doc) === true) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params)}`,
    );
  };
}

/** The CycloneDX 1.6 JSON schema validator. */
export function cycloneDxSchema(): SchemaCheck {
  const dir = join(dirname(require.resolve("@cyclonedx/cyclonedx-library/package.json")), "res", "schema");
  const load = (file: string): { $id?: string } => JSON.parse(readFileSync(join(dir, file), "utf8"));
  // The library's copy of bom-1.6 refers to its neighbours by file name (`spdx.SNAPSHOT.schema.json`),
  // so they are registered under the ids those names resolve to.
  const neighbour = (file: string) => ({ ...load(file), $id: `http://cyclonedx.org/schema/${file}` });
  return ajvFor(
    [
      neighbour("spdx.SNAPSHOT.schema.json"),
      neighbour("jsf-0.82.SNAPSHOT.schema.json"),
      load("bom-1.6.SNAPSHOT.schema.json"),
    ],
    "http://cyclonedx.org/schema/bom-1.6.schema.json",
  );
}

/** Where the SPDX 2.3 schema is, when this machine has it. */
export const SPDX_SCHEMA_PATH = process.env.RAFSCAN_SPDX_SCHEMA;

/** The SPDX 2.3 JSON schema validator, or undefined when `$RAFSCAN_SPDX_SCHEMA` names no file. */
export function spdxSchema(): SchemaCheck | undefined {
  if (SPDX_SCHEMA_PATH === undefined || !existsSync(SPDX_SCHEMA_PATH)) return undefined;
  const schema = JSON.parse(readFileSync(SPDX_SCHEMA_PATH, "utf8")) as { $id?: string };
  if (schema.$id !== "http://spdx.org/rdf/terms/2.3")
    throw new Error(`${SPDX_SCHEMA_PATH} is not the SPDX 2.3 schema`);
  return ajvFor([schema], schema.$id);
}

/**
 * The SARIF 2.1.0 JSON schema validator. The schema (OASIS's final `sarif-2.1.0-rtm.5`, draft-04)
 * comes from the @microsoft/jest-sarif devDependency (`lib/schemas/`), the only npm package found
 * that ships it as a file; it is validated with Ajv's draft-04 class.
 */
export function sarifSchema(): SchemaCheck {
  const file = join(
    dirname(require.resolve("@microsoft/jest-sarif/package.json")),
    "lib",
    "schemas",
    "sarif-2.1.0-rtm.5.json",
  );
  const schema = JSON.parse(readFileSync(file, "utf8")) as { id?: string };
  // The schema's `language` pattern (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) has a stray `]`
  // that only a non-unicode RegExp accepts.
  const ajv = new AjvDraft04({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (doc) => {
    if (validate(doc) === true) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params)}`,
    );
  };
}
