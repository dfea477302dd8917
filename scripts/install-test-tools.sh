#!/usr/bin/env bash
# Installs the Debian tools the tests use as independent oracles (erofs-utils, zstd, lz4, b3sum,
# attr). Needs root and apt; skips what is already there, so it is cheap to run twice.
set -euo pipefail
need=()
for tool in mkfs.erofs:erofs-utils zstd:zstd lz4:lz4 b3sum:b3sum setfattr:attr; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool##*:}")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing tools (${need[*]}): install them, or the tests that need them will skip" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
