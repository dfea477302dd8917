#!/usr/bin/env bash
# Rebuilds packages/cli/assets/sample/bootstrap, the image the CLI uses when no IMAGE is given:
# a tiny Debian-like root filesystem, made with Debian's mkfs.erofs as a chunk-based EROFS
# image (the layout RAFS v6 builds on). Deterministic: fixed content, times and owners.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/packages/cli/assets/sample"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
chmod 0755 "$tree"
mkdir -p "$tree"/{etc,usr/lib,usr/bin,var/lib/dpkg,usr/share/doc/base-files,tmp}
cat > "$tree/usr/lib/os-release" <<'OS'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
OS
ln -s ../usr/lib/os-release "$tree/etc/os-release"
echo "12.5" > "$tree/etc/debian_version"
cat > "$tree/var/lib/dpkg/status" <<'ST'
Package: base-files
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 340
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12987
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u7
Description: GNU C Library: Shared libraries
ST
# A file larger than one chunk, so reads cross chunk boundaries.
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "line %05d of the sample changelog\n", i }' > "$tree/usr/share/doc/base-files/changelog"
printf '#!/bin/sh\necho hello from the rafscan sample\n' > "$tree/usr/bin/hello"
chmod 0755 "$tree/usr/bin/hello"
ln "$tree/usr/bin/hello" "$tree/usr/bin/hello-again"
chmod 1777 "$tree/tmp"
mkdir -p "$out"
rm -f "$out/bootstrap"
mkfs.erofs --quiet -T0 --all-root --chunksize=4096 "$out/bootstrap" "$tree"
fsck.erofs "$out/bootstrap"
ls -l "$out/bootstrap"
