#!/usr/bin/env bash
# Installs the Debian tools the tests use as independent oracles and peers (erofs-utils, zstd,
# lz4, b3sum, attr, docker-registry, skopeo, umoci, apache2-utils, rpm, openssl, debootstrap, dpkg,
# php-cli, ruby, python3-apt, python3-packaging).
# Needs root and apt; skips what is already there, so it is cheap to run twice.
set -euo pipefail
need=()
for tool in mkfs.erofs:erofs-utils zstd:zstd lz4:lz4 b3sum:b3sum setfattr:attr docker-registry:docker-registry \
  skopeo:skopeo umoci:umoci htpasswd:apache2-utils rpm:rpm openssl:openssl debootstrap:debootstrap \
  dpkg:dpkg php:php-cli ruby:ruby; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool##*:}")
done
# Python modules the version-scheme tests compare against; python3-apt installs into the Debian
# python3 only, so that is the one checked (and the one the tests look for first).
for mod in apt_pkg:python3-apt packaging:python3-packaging; do
  /usr/bin/python3 -c "import ${mod%%:*}" 2>/dev/null || need+=("${mod##*:}")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing tools (${need[*]}): install them, or the tests that need them will skip" >&2
  exit 0
fi
# docker-registry ships an init script: keep it from starting a system service (tests start
# their own registry on 127.0.0.1) by denying service starts while installing.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
