#!/usr/bin/env bash
# npm run test:ct: constant-time check in the style of ctgrind.
#
# Builds tests/ct/ct_check.cc with the core (src/*.cc) and the BearSSL files
# of cmake/BearSSL.cmake (g++/gcc -O2 -g -DENVEIL_CT_CHECK) into build/ct/,
# then runs each section under
#   valgrind --error-exitcode=1 --track-origins=yes
# with secret keys, plaintexts, tags and commitments marked undefined, so any
# branch or memory index that depends on a secret is a valgrind error. The
# sections (`ct_check --list`) cover AES-GCM (the build's default AES kernel,
# then each kernel of src/aes_ct64x2.h by name: GCM and raw CTR through ours,
# AesCt64x2, and through BearSSL's aes_ct64), ChaCha20-Poly1305 (the build's
# default kernel, then each of src/chacha20_poly1305.h by name: ours,
# chacha20_x4, also as a raw key stream, and BearSSL's chacha20_ct), both record
# suites, SHA-256 (ours, src/sha256.cc: one-shot, in parts, several blocks in
# one call) and the HMAC over it (multi-block messages in parts), HKDF, key wrapping (wrap_key, Keyring::wrap_secret), the
# stream format (seal, open, rotate), blind indexes and ct_equal.
# Then it runs `ct_check --leaky` (an early-exit tag comparison) and requires
# valgrind to report it: the check proves it can fail.
#
# Environment:
#   ENVEIL_CT_OPT=-O3        optimisation level (default -O2)
#   ENVEIL_CT_STRICT=1       also run every section without declassifying
#                            ct_equal's result (see tests/ct/ct_check.cc);
#                            informational, never fails the run
#   ENVEIL_BEARSSL_SOURCE=D  BearSSL 0.6 tree (default: fetched into
#                            build/third_party as the CMake build does)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
ensure_packages base  # g++, and xz/dpkg-dev for fetching BearSSL

if ! command -v valgrind >/dev/null 2>&1 || [ ! -f /usr/include/valgrind/memcheck.h ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "enveil: installing valgrind with apt-get" >&2
    enveil_apt update -qq
    enveil_apt install -y -qq --no-install-recommends valgrind >/dev/null
  else
    echo "enveil: the constant-time check needs valgrind; install it with: sudo apt-get install valgrind" >&2
    exit 1
  fi
fi

start=$SECONDS
jobs=$(nproc)
out=build/ct
opt=${ENVEIL_CT_OPT:--O2}
bearssl=${ENVEIL_BEARSSL_SOURCE:-}
if [ -z "$bearssl" ]; then
  bash scripts/fetch-bearssl.sh build/third_party
  bearssl=build/third_party/bearssl-0.6
fi
[ -f "$bearssl/inc/bearssl.h" ] || { echo "enveil: $bearssl is not a BearSSL source tree" >&2; exit 1; }

# The BearSSL files the CMake build compiles, read from cmake/BearSSL.cmake so
# the two cannot drift apart.
mapfile -t bearssl_files < <(sed -n '/set(_bearssl_files/,/)/p' cmake/BearSSL.cmake |
                             grep -oE '[A-Za-z0-9_/]+\.c')
[ ${#bearssl_files[@]} -gt 0 ] || { echo "enveil: no BearSSL files found in cmake/BearSSL.cmake" >&2; exit 1; }

rm -rf "$out/obj" "$out/logs"
mkdir -p "$out/obj/bearssl" "$out/obj/core" "$out/logs"

# ---- build (parallel, every time: it takes seconds) ------------------------
echo "== constant-time check: build ($opt -g, -DENVEIL_CT_CHECK) into $out =="
pids=()
spawn() {
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  "$@" &
  pids+=($!)
}
cflags=(-std=c99 "$opt" -g -w -I"$bearssl/inc" -I"$bearssl/src")
cxxflags=(-std=c++20 "$opt" -g -DENVEIL_CT_CHECK -Wall -Wextra -Werror -Isrc -isystem "$bearssl/inc")
objs=()
for f in "${bearssl_files[@]}"; do
  o="$out/obj/bearssl/$(echo "$f" | tr / _).o"
  spawn gcc "${cflags[@]}" -c "$bearssl/src/$f" -o "$o"
  objs+=("$o")
done
for f in src/*.cc; do
  o="$out/obj/core/$(basename "$f" .cc).o"
  spawn g++ "${cxxflags[@]}" -c "$f" -o "$o"
  objs+=("$o")
done
spawn g++ "${cxxflags[@]}" -DENVEIL_CT_DECLASSIFY_CT_EQUAL -c tests/ct/ct_check.cc -o "$out/obj/ct_check.o"
if [ "${ENVEIL_CT_STRICT:-0}" = 1 ]; then
  spawn g++ "${cxxflags[@]}" -c tests/ct/ct_check.cc -o "$out/obj/ct_check_strict.o"
fi
build_failed=0
for pid in "${pids[@]}"; do wait "$pid" || build_failed=1; done
[ "$build_failed" = 0 ] || { echo "enveil: constant-time check: build failed" >&2; exit 1; }

# ct_equal's result (accept/reject) is public: every call to it from the core
# goes through __wrap_ in ct_check.cc, which declassifies the one bit.
ct_equal_sym=_ZN6enveil8ct_equalESt4spanIKhLm18446744073709551615EES2_
if ! nm "$out/obj/core/secret.o" | grep -q " T $ct_equal_sym\$"; then
  echo "enveil: $ct_equal_sym not found in secret.o; update ENVEIL_CT_EQUAL_SYMBOL in tests/ct/ct_check.cc and here" >&2
  exit 1
fi
g++ "$opt" -g "$out/obj/ct_check.o" "${objs[@]}" -Wl,--wrap="$ct_equal_sym" -o "$out/ct_check"
if [ "${ENVEIL_CT_STRICT:-0}" = 1 ]; then
  g++ "$opt" -g "$out/obj/ct_check_strict.o" "${objs[@]}" -o "$out/ct_check_strict"
fi
echo "built in $((SECONDS - start))s"

# ---- run ---------------------------------------------------------------------
vg=(valgrind --error-exitcode=1 --track-origins=yes --num-callers=30)
# "name required" or "name info" (variable-time by design: shown, never fails)
declare -A kind=()
sections=()
while read -r name k; do sections+=("$name"); kind[$name]=$k; done < <("$out/ct_check" --list)

run_one() {  # LOG BINARY ARGS...
  local log=$1; shift
  set +e
  "${vg[@]}" "$@" >"$log" 2>&1
  echo $? >"$log.rc"
}
errors_in() {  # the count of valgrind's ERROR SUMMARY line
  sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$1" | tail -1
}
show_errors() {  # the error records of a log, without valgrind's banner
  grep -E '^==[0-9]+== ' "$1" |
    sed -E 's/^==[0-9]+== ?//' |
    awk '/^(Conditional jump|Use of uninitialised|Syscall param|Invalid|Uninitialised value was created)/{p=1}
         /^HEAP SUMMARY|^ERROR SUMMARY|^For lists of detected/{p=0}
         p' |
    head -n "${2:-80}" | sed 's/^/    /'
}

top_frames() {  # one line per distinct place valgrind flagged: kind, function, file:line
  grep -A1 -E '^==[0-9]+== (Conditional jump|Use of uninitialised value)' "$1" |
    sed -E 's/^==[0-9]+== +//' |
    awk '/^(Conditional|Use of)/{k=($1=="Conditional")?"branch":"index"; next}
         /^at 0x/{sub(/^at 0x[0-9A-Fa-f]+: /,""); loc=$0; sub(/.*\(/,"",loc); sub(/\)$/,"",loc);
                  fn=$0; gsub(/\(anonymous namespace\)/,"{anon}",fn); sub(/\(.*/,"",fn); sub(/ +$/,"",fn); print "    " k " on a secret at " loc " in " fn}' |
    sort | uniq -c | sed -E 's/^ +([0-9]+) /  \1x/'
}

echo "== constant-time check: ${#sections[@]} sections + the leaky comparison under valgrind =="
pids=()
for s in "${sections[@]}"; do
  spawn run_one "$out/logs/$s.log" "$out/ct_check" "$s"
  if [ "${ENVEIL_CT_STRICT:-0}" = 1 ]; then
    spawn run_one "$out/logs/strict-$s.log" "$out/ct_check_strict" "$s"
  fi
done
spawn run_one "$out/logs/leaky.log" "$out/ct_check" --leaky
for pid in "${pids[@]}"; do wait "$pid" || true; done

failed=0
printf '\n%-22s %-6s %s\n' "section" "result" "valgrind errors (log)"
for s in "${sections[@]}"; do
  log="$out/logs/$s.log"
  rc=$(cat "$log.rc"); n=$(errors_in "$log")
  if [ "${kind[$s]}" = info ]; then
    printf '%-22s %-6s %s\n' "$s" INFO "${n:-?} (variable-time by design, not required; $log)"
  elif [ "$rc" = 0 ] && [ "${n:-x}" = 0 ]; then
    printf '%-22s %-6s %s\n' "$s" PASS "0 ($log)"
  else
    printf '%-22s %-6s %s\n' "$s" FAIL "${n:-?} (exit $rc, $log)"
    failed=1
  fi
done
# The leaky comparison must be caught, and caught in leaky_equal.
log="$out/logs/leaky.log"
rc=$(cat "$log.rc"); n=$(errors_in "$log")
if [ "$rc" != 0 ] && [ "${n:-0}" -gt 0 ] && grep -q 'leaky_equal' "$log" &&
   grep -qE 'Conditional jump or move depends on uninitialised value|Use of uninitialised value' "$log"; then
  printf '%-22s %-6s %s\n' "leaky (must fail)" PASS "$n reported, exit $rc, as required ($log)"
else
  printf '%-22s %-6s %s\n' "leaky (must fail)" FAIL "not caught: exit $rc, ${n:-?} errors ($log)"
  failed=1
fi

for s in "${sections[@]}"; do
  log="$out/logs/$s.log"
  [ "$(cat "$log.rc")" != 0 ] || continue
  echo
  if [ "${kind[$s]}" = info ]; then
    echo "-- $s (informational): where valgrind found secret-dependent branches or indexes --"
    top_frames "$log"
  else
    echo "-- $s: what valgrind reported (full log: $log) --"
    top_frames "$log"
    show_errors "$log"
    grep '^ct_check:' "$log" | sed 's/^/    /' || true
  fi
done
if [ "${ENVEIL_CT_STRICT:-0}" = 1 ]; then
  echo; echo "-- strict (nothing declassified inside the core; informational) --"
  for s in "${sections[@]}"; do
    log="$out/logs/strict-$s.log"
    printf '%-22s %s valgrind errors (%s)\n' "$s" "$(errors_in "$log")" "$log"
    top_frames "$log"
  done
fi

echo
if [ "$failed" = 0 ]; then
  echo "constant-time check: PASS (every section clean under valgrind; the leaky comparison was caught) in $((SECONDS - start))s"
else
  echo "constant-time check: FAIL in $((SECONDS - start))s" >&2
  exit 1
fi
