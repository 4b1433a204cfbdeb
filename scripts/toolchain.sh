#!/usr/bin/env bash
# Sourced by build.sh and test.sh: makes sure the Debian packages the build
# needs are present. As root with apt it installs what is missing; otherwise
# it stops with one sentence naming what to install.
# Usage: ensure_packages native|wasm|webkit|all
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
  [wpewebkit-driver]=/usr/bin/WPEWebDriver
  [cog]=/usr/bin/cog
  [webkit2gtk-driver]=/usr/bin/WebKitWebDriver
  [xvfb]=Xvfb
  [gir1.2-webkit2-4.1]=/usr/lib/$(uname -m)-linux-gnu/girepository-1.0/WebKit2-4.1.typelib
  [python3-gi]=/usr/lib/python3/dist-packages/gi/__init__.py
  [softhsm2]=softhsm2-util
  [python3]=python3
)

# WPE WebKit 2.38, the old-engine floor (tests/floor): installed as root (CI);
# anywhere else tests/floor skips its WPE runs, saying what to install.
# WebKitGTK (tests/webkit, npm run test:webkit): its WebDriver, an X server,
# and PyGObject for tests/webkit/browser.py; the same rule.
ENVEIL_WEBKITGTK_PACKAGES=(webkit2gtk-driver xvfb gir1.2-webkit2-4.1 python3-gi)
# SoftHSM2, a real PKCS#11 token for providers.pkcs11() and `--kek pkcs11:`
# (tests/js/pkcs11.test.js); the same rule.
ENVEIL_ROOT_ONLY_PACKAGES=(wpewebkit-driver cog softhsm2 "${ENVEIL_WEBKITGTK_PACKAGES[@]}")

# apt-get that waits (up to 10 minutes) while another apt or dpkg holds its
# lock, as happens on a machine that is still installing updates.
enveil_apt() {
  local tries=0 log
  log=$(mktemp)
  while true; do
    if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 "$@" 2>"$log"; then
      rm -f "$log"; return 0
    fi
    if grep -q 'Could not get lock\|Unable to lock' "$log" && [ $((tries += 1)) -lt 10 ]; then
      echo "enveil: apt is busy (another apt-get holds its lock); retrying in 60 s" >&2
      sleep 60
      continue
    fi
    cat "$log" >&2; rm -f "$log"; return 1
  done
}

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
    all) wanted+=(libgtest-dev nlohmann-json3-dev emscripten chromium valgrind python3)
      if [ "$(id -u)" = 0 ]; then wanted+=("${ENVEIL_ROOT_ONLY_PACKAGES[@]}"); fi ;;
    webkit) if [ "$(id -u)" = 0 ]; then wanted+=("${ENVEIL_WEBKITGTK_PACKAGES[@]}"); fi ;;
  esac
  local missing=()
  for pkg in "${wanted[@]}"; do
    enveil_have "${ENVEIL_PROBES[$pkg]}" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "enveil: installing ${missing[*]} with apt-get" >&2
    enveil_apt update -qq
    enveil_apt install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "enveil: missing build tools; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

# Debian's em++ 3.1.6 needs its bundled Node modules on this Node version.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
