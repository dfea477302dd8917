// Preloaded with `node -r` to make the process look like a platform where zstd-napi was never
// built: every require of it fails as a missing native module would.
const Module = require("node:module");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "zstd-napi" || request.startsWith("zstd-napi/")) {
    const err = new Error(`Cannot find module '${request}' (hidden by tests/support/no-zstd-napi.cjs)`);
    err.code = "MODULE_NOT_FOUND";
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
