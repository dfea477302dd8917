// Moves a built database through an OCI registry, as trivy-db is distributed: an OCI image
// manifest with an artifact type of its own, the empty config, and one layer holding the database
// file, gzip-compressed. Pulling checks the manifest's shape and sizes, lets the registry client
// verify the layer's digest, bounds the inflated size, and verifies the file before installing it.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
// Types only: the registry client (and its HTTP stack) costs ~300 ms of CPU to import, paid by
// pull and push alone, not by every `import("@rafscan/vulndb")` that only matches.
import type { RegistryClient, RegistryClientOptions } from "@rafscan/registry";
import { VulndbError, VulndbErrorCode } from "./errors.js";
import {
  dbFilePath,
  defaultDbDir,
  type InstallSummary,
  installVerified,
  newTempFile,
  type VerifyOptions,
} from "./lifecycle.js";
import { resolveLimits } from "./limits.js";
import { SCHEMA_VERSION } from "./schema.js";
import { SqliteAdvisoryStore } from "./sqlite-store.js";

/** `artifactType` of the manifest. */
export const DB_ARTIFACT_TYPE = "application/vnd.rafscan.vulndb.v1";
/** Media type of the one layer: the SQLite database file, gzip-compressed. */
export const DB_LAYER_MEDIA_TYPE = "application/vnd.rafscan.vulndb.layer.v1.sqlite+gzip";
/** The OCI empty config (`{}`), as artifacts without configuration carry. */
export const EMPTY_CONFIG_MEDIA_TYPE = "application/vnd.oci.empty.v1+json";
/** Annotation with the database's inflated size, checked against the limit before downloading. */
export const DB_SIZE_ANNOTATION = "dev.rafscan.vulndb.size";
/** Annotation with the database's schema version: a pull refuses a newer one before downloading. */
export const DB_SCHEMA_ANNOTATION = "dev.rafscan.vulndb.schema-version";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const EMPTY_CONFIG = Buffer.from("{}");

/** How to reach the registry. */
export interface ArtifactOptions extends VerifyOptions {
  /** The database directory. Default: the default database directory. */
  readonly dbDir?: string;
  readonly username?: string;
  readonly password?: string;
  /** Plain HTTP (local registries). Default: `false`. */
  readonly insecure?: boolean;
  /** Read credentials from the Docker config when no username is given. Default: `true`. */
  readonly dockerConfig?: boolean;
  readonly signal?: AbortSignal;
}

/** What a push uploaded. */
export interface PushSummary {
  readonly reference: string;
  readonly manifestDigest: string;
  readonly layerDigest: string;
  /** Compressed layer size. */
  readonly layerBytes: number;
  /** The database file's size. */
  readonly bytes: number;
  readonly builtAt: string;
}

type RegistryModule = typeof import("@rafscan/registry");
const loadRegistry = (): Promise<RegistryModule> => import("@rafscan/registry");

function client(
  { dockerCredentials, RegistryClient }: RegistryModule,
  registry: string,
  endpoint: string,
  options: ArtifactOptions,
): RegistryClient {
  const opts: RegistryClientOptions = {
    insecure: options.insecure === true,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.dockerConfig === false ? {} : { credentials: () => dockerCredentials(registry) }),
  };
  return new RegistryClient(endpoint, opts);
}

/**
 * Pushes the installed database (or `file`) as an OCI artifact to `reference`
 * (`registry/repository[:tag]`, tag `latest` when none).
 * @throws VulndbError (the database cannot be opened), RegistryError (the upload failed)
 */
export async function pushDatabase(
  reference: string,
  options: ArtifactOptions & { readonly file?: string } = {},
): Promise<PushSummary> {
  const file = options.file ?? dbFilePath(options.dbDir ?? defaultDbDir());
  // Never push something this rafscan could not open again.
  const store = await SqliteAdvisoryStore.open(
    file,
    options.driver === undefined ? {} : { driver: options.driver },
  );
  const info = store.info();
  store.close();
  const reg = await loadRegistry();
  const ref = reg.parseReference(reference);
  const tag = ref.digest ?? ref.tag ?? "latest";
  const bytes = (await stat(file)).size;
  const gz = `${await newTempFile(options.dbDir ?? defaultDbDir())}.gz`;
  try {
    const hash = createHash("sha256");
    let layerBytes = 0;
    await pipeline(
      createReadStream(file),
      createGzip({ level: 6 }),
      new Transform({
        transform(chunk: Buffer, _e, done) {
          hash.update(chunk);
          layerBytes += chunk.length;
          done(null, chunk);
        },
      }),
      createWriteStream(gz),
      options.signal === undefined ? {} : { signal: options.signal },
    );
    const layerDigest = `sha256:${hash.digest("hex")}`;
    const registry = client(reg, ref.registry, ref.endpoint, options);
    const call = options.signal === undefined ? {} : { signal: options.signal };
    const configDigest = `sha256:${createHash("sha256").update(EMPTY_CONFIG).digest("hex")}`;
    if (!(await registry.hasBlob(ref.repository, configDigest, call))) {
      await registry.uploadBlob(
        ref.repository,
        configDigest,
        EMPTY_CONFIG.length,
        () => Readable.from([EMPTY_CONFIG]),
        call,
      );
    }
    if (!(await registry.hasBlob(ref.repository, layerDigest, call))) {
      await registry.uploadBlob(ref.repository, layerDigest, layerBytes, () => createReadStream(gz), call);
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: DB_ARTIFACT_TYPE,
      config: {
        mediaType: EMPTY_CONFIG_MEDIA_TYPE,
        digest: configDigest,
        size: EMPTY_CONFIG.length,
        data: "e30=",
      },
      layers: [
        {
          mediaType: DB_LAYER_MEDIA_TYPE,
          digest: layerDigest,
          size: layerBytes,
          annotations: {
            "org.opencontainers.image.title": "vulndb.sqlite.gz",
            [DB_SIZE_ANNOTATION]: String(bytes),
            [DB_SCHEMA_ANNOTATION]: String(info.schemaVersion),
          },
        },
      ],
      annotations: {
        "org.opencontainers.image.created": info.builtAt,
        [DB_SCHEMA_ANNOTATION]: String(info.schemaVersion),
      },
    };
    const manifestDigest = await registry.putManifest(
      ref.repository,
      tag,
      OCI_MANIFEST,
      Buffer.from(JSON.stringify(manifest)),
      call,
    );
    return { reference, manifestDigest, layerDigest, layerBytes, bytes, builtAt: info.builtAt };
  } finally {
    await rm(gz, { force: true });
  }
}

function bad(reference: string, why: string): VulndbError {
  return new VulndbError(
    VulndbErrorCode.BAD_ARTIFACT,
    `${reference} is not a rafscan advisory database: ${why}`,
    { path: reference },
  );
}

/** The one layer descriptor of a database artifact manifest, checked. */
function dbLayer(reference: string, bytes: Uint8Array, maxBytes: number): { digest: string; size: number } {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw bad(reference, "its manifest is not JSON");
  }
  if (typeof doc !== "object" || doc === null) throw bad(reference, "its manifest is not an object");
  const m = doc as Record<string, unknown>;
  const configType = (m.config as Record<string, unknown> | undefined)?.mediaType;
  if (m.artifactType !== DB_ARTIFACT_TYPE && configType !== DB_ARTIFACT_TYPE) {
    throw bad(reference, `artifact type ${JSON.stringify(m.artifactType ?? configType)}`);
  }
  const schema = Number((m.annotations as Record<string, unknown> | undefined)?.[DB_SCHEMA_ANNOTATION]);
  if (Number.isSafeInteger(schema) && schema > SCHEMA_VERSION) {
    throw new VulndbError(
      VulndbErrorCode.SCHEMA_TOO_NEW,
      `${reference} holds database schema ${schema}; this rafscan reads schema ${SCHEMA_VERSION}: upgrade rafscan`,
      { path: reference },
    );
  }
  const layers = m.layers;
  if (!Array.isArray(layers) || layers.length !== 1) throw bad(reference, "it must have exactly one layer");
  const layer = layers[0] as Record<string, unknown>;
  if (layer.mediaType !== DB_LAYER_MEDIA_TYPE)
    throw bad(reference, `layer media type ${JSON.stringify(layer.mediaType)}`);
  const digest = layer.digest;
  const size = layer.size;
  if (typeof digest !== "string" || !/^sha256:[a-f0-9]{64}$/.test(digest))
    throw bad(reference, "bad layer digest");
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size <= 0 || size > maxBytes) {
    throw bad(reference, `layer size ${String(size)} is not between 1 and ${maxBytes}`);
  }
  const inflated = Number((layer.annotations as Record<string, unknown> | undefined)?.[DB_SIZE_ANNOTATION]);
  if (Number.isFinite(inflated) && inflated > maxBytes) {
    throw new VulndbError(
      VulndbErrorCode.TOO_LARGE,
      `${reference}: database of ${inflated} bytes is over the limit of ${maxBytes}`,
      { path: reference },
    );
  }
  return { digest, size };
}

/** What a pull installed. */
export interface PullSummary extends InstallSummary {
  readonly manifestDigest: string;
  readonly layerBytes: number;
}

/**
 * Pulls a database artifact from `reference` and installs it in the database directory.
 * @throws VulndbError `VULNDB_BAD_ARTIFACT`, `VULNDB_TOO_LARGE`, `VULNDB_SCHEMA_TOO_NEW`, the
 *   codes of the file verification; RegistryError (the download failed). The installed database
 *   is left as it was on any failure.
 */
export async function pullDatabase(reference: string, options: ArtifactOptions = {}): Promise<PullSummary> {
  const limits = resolveLimits(options.limits);
  const dbDir = options.dbDir ?? defaultDbDir();
  const reg = await loadRegistry();
  const ref = reg.parseReference(reference);
  const tag = ref.digest ?? ref.tag ?? "latest";
  const registry = client(reg, ref.registry, ref.endpoint, options);
  const call = options.signal === undefined ? {} : { signal: options.signal };
  const manifest = await registry.getManifest(ref.repository, tag, { ...call, accept: [OCI_MANIFEST] });
  const layer = dbLayer(reference, manifest.bytes, limits.maxDatabaseBytes);
  const tmp = await newTempFile(dbDir);
  let inflated = 0;
  try {
    const blob = await registry.getBlob(ref.repository, layer.digest, { ...call, size: layer.size });
    await pipeline(
      blob,
      createGunzip(),
      new Transform({
        transform(chunk: Buffer, _e, done) {
          inflated += chunk.length;
          if (inflated > limits.maxDatabaseBytes) {
            done(
              new VulndbError(
                VulndbErrorCode.TOO_LARGE,
                `${reference}: database inflates beyond the limit of ${limits.maxDatabaseBytes} bytes`,
                { path: reference },
              ),
            );
            return;
          }
          done(null, chunk);
        },
      }),
      createWriteStream(tmp),
      call,
    );
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof Error && "code" in err && typeof err.code === "string" && err.code.startsWith("Z_")) {
      throw bad(reference, `its layer is not gzip: ${err.message}`);
    }
    throw err;
  }
  const summary = await installVerified(
    dbDir,
    tmp,
    { kind: "pull", from: reference, digest: manifest.digest, installedAt: new Date().toISOString() },
    options,
  );
  return { ...summary, manifestDigest: manifest.digest, layerBytes: layer.size };
}
