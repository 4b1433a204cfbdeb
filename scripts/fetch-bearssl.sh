#!/usr/bin/env bash
# Fetches BearSSL 0.6 from Debian's source package (bookworm ships it without
# patches) and unpacks it to DEST/bearssl-0.6. Nothing of it is committed.
# Usage: scripts/fetch-bearssl.sh DEST
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
dest=${1:?usage: fetch-bearssl.sh DEST}
tarball=bearssl_0.6+dfsg.1.orig.tar.xz
sha256=102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004

if [ -f "$dest/bearssl-0.6/inc/bearssl.h" ]; then exit 0; fi
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -f "$dest/$tarball" ]; then
  if ! command -v apt-get >/dev/null; then
    echo "enveil: BearSSL 0.6 source is needed: put $tarball in $dest, or pass -DENVEIL_BEARSSL_SOURCE=DIR." >&2
    exit 1
  fi
  if ! apt-get source --print-uris bearssl 2>/dev/null | grep -q "$tarball"; then
    if [ "$(id -u)" != 0 ]; then
      echo "enveil: add a deb-src entry for Debian bookworm and run apt-get update (needs root), or pass -DENVEIL_BEARSSL_SOURCE=DIR." >&2
      exit 1
    fi
    cat > /etc/apt/sources.list.d/enveil-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    enveil_apt update -qq
  fi
  (cd "$work" && enveil_apt source --download-only -qq bearssl >/dev/null)
  cp "$work/$tarball" "$dest/$tarball"
fi

echo "$sha256  $dest/$tarball" | sha256sum --check --quiet || {
  echo "enveil: $dest/$tarball does not have the expected SHA-256; remove it and retry." >&2
  rm -f "$dest/$tarball"
  exit 1
}
tar -xJf "$dest/$tarball" -C "$dest"
test -f "$dest/bearssl-0.6/inc/bearssl.h"
