#!/usr/bin/env bash
# Sourced by build.sh and test.sh: makes sure the Debian packages the build
# needs are present. As root with apt it installs what is missing; otherwise
# it stops with one sentence naming what to install.
# Usage: ensure_packages native|wasm
set -euo pipefail

# package → a file or command that proves it is installed
declare -A ENVEIL_PROBES=(
  [cmake]=cmake
  [g++]=g++
  [make]=make
  [xz-utils]=xz
  [dpkg-dev]=dpkg-source
  [libgtest-dev]=/usr/include/gtest/gtest.h
  [nlohmann-json3-dev]=/usr/include/nlohmann/json.hpp
  [emscripten]=em++
  [chromium]=/usr/bin/chromium
  [valgrind]=valgrind
)

enveil_have() {
  case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

ensure_packages() {
  local wanted=(cmake g++ make xz-utils dpkg-dev)
  case "${1:-all}" in
    native) wanted+=(libgtest-dev nlohmann-json3-dev) ;;
    wasm) wanted+=(emscripten) ;;
    all) wanted+=(libgtest-dev nlohmann-json3-dev emscripten chromium valgrind) ;;
  esac
  local missing=()
  for pkg in "${wanted[@]}"; do
    enveil_have "${ENVEIL_PROBES[$pkg]}" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "enveil: installing ${missing[*]} with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "enveil: missing build tools; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

# Debian's em++ 3.1.6 needs its bundled Node modules on this Node version.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
