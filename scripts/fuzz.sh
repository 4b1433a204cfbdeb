#!/usr/bin/env bash
# npm run fuzz -- [SECONDS]: the libFuzzer targets of fuzz/ (clang-14,
# -fsanitize=fuzzer,address,undefined), SECONDS in all (default 60).
#   1. builds the targets and the seed generator into build/fuzz/ from the
#      core sources and the BearSSL files cmake/BearSSL.cmake lists (BearSSL
#      is fetched into build/third_party when missing);
#   2. replays every file in fuzz/regressions/<target>/ once: a regression
#      that still crashes fails the run before any fuzzing;
#   3. writes the seed corpora (valid outputs of the core) to
#      build/fuzz/corpus/<target>/;
#   4. fuzzes the targets ENVEIL_FUZZ_JOBS at a time (default: the number of
#      cores), in waves that share SECONDS equally (the run takes SECONDS
#      whatever the number of targets), growing build/fuzz/work/<target>/.
# Any crash, leak, timeout or OOM fails the run (exit 1); its input is copied
# to fuzz/regressions/<target>/ so that it is replayed from then on (commit it
# with the fix).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
root=$PWD

total=${1:-60}
if ! [[ "$total" =~ ^[0-9]+$ ]] || [ "$total" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS]   (SECONDS >= 1, default 60)" >&2
  exit 2
fi

targets=(fuzz_record_open fuzz_keyring_import fuzz_blind_index fuzz_hkdf_hmac
         fuzz_stream_open fuzz_aes_ct fuzz_chacha20 fuzz_sha256_hmac)
out=build/fuzz

# ---- toolchain --------------------------------------------------------------
have_toolchain() {
  command -v clang-14 >/dev/null 2>&1 && command -v clang++-14 >/dev/null 2>&1 &&
    command -v make >/dev/null 2>&1 &&
    [ -f "$(clang-14 -print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a" ]
}
if ! have_toolchain; then
  pkgs=(clang-14 libclang-rt-14-dev make)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "enveil: installing ${pkgs[*]} with apt-get" >&2
    enveil_apt update -qq
    enveil_apt install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
  if ! have_toolchain; then
    echo "enveil: fuzzing needs clang-14 with libFuzzer; install them with: sudo apt-get install ${pkgs[*]}" >&2
    exit 1
  fi
fi

# ---- BearSSL ----------------------------------------------------------------
bearssl=${ENVEIL_BEARSSL_SOURCE:-build/third_party/bearssl-0.6}
if [ ! -f "$bearssl/inc/bearssl.h" ]; then
  if [ -n "${ENVEIL_BEARSSL_SOURCE:-}" ]; then
    echo "enveil: ENVEIL_BEARSSL_SOURCE=$bearssl is not a BearSSL source tree." >&2
    exit 1
  fi
  bash scripts/fetch-bearssl.sh build/third_party
fi
bearssl=$(cd "$bearssl" && pwd)
# The same file list as the CMake build: the lines of set(_bearssl_files ...).
bearssl_files=$(sed -n '/set(_bearssl_files/,/)/p' cmake/BearSSL.cmake |
  grep -E '^[[:space:]]+[A-Za-z0-9_/.-]+\.c[[:space:]]*$' | tr -d ' \t' | tr '\n' ' ')
if [ -z "$bearssl_files" ]; then
  echo "enveil: no BearSSL file list found in cmake/BearSSL.cmake" >&2
  exit 1
fi

# ---- build ------------------------------------------------------------------
echo "== fuzz: build ($out) =="
make -s -f fuzz/fuzz.mk -j"$(nproc)" ROOT="$root" OUT="$root/$out" \
  BEARSSL="$bearssl" BEARSSL_FILES="$bearssl_files" all

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fuzz_flags=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048)

# ---- regressions --------------------------------------------------------------
echo "== fuzz: regressions (fuzz/regressions/) =="
failed=0
replayed=0
shopt -s nullglob
for dir in fuzz/regressions/*/; do
  target=$(basename "$dir")
  inputs=()
  for f in "$dir"*; do [ -f "$f" ] && inputs+=("$f"); done
  [ ${#inputs[@]} -eq 0 ] && continue
  if [ ! -x "$out/$target" ]; then
    echo "FAIL $dir: there is no fuzz target named $target" >&2
    failed=1
    continue
  fi
  for f in "${inputs[@]}"; do
    replayed=$((replayed + 1))
    if "$out/$target" "${fuzz_flags[@]}" "$f" >"$out/replay.log" 2>&1; then
      echo "ok   $f"
    else
      echo "FAIL $f" >&2
      grep -E 'ERROR:|SUMMARY:|runtime error|#[0-9]+ 0x' "$out/replay.log" | head -20 >&2 || true
      failed=1
    fi
  done
done
shopt -u nullglob
echo "$replayed regression input(s) replayed"
if [ "$failed" != 0 ]; then
  echo "enveil: fuzz regressions failed (see above); fix the bug before fuzzing." >&2
  exit 1
fi

# ---- seeds ------------------------------------------------------------------
echo "== fuzz: seed corpora ($out/corpus) =="
"$out/make_seeds" "$out/corpus"

# ---- fuzzing ----------------------------------------------------------------
jobs=${ENVEIL_FUZZ_JOBS:-$(nproc)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -gt ${#targets[@]} ] && jobs=${#targets[@]}
# The targets run in waves of $jobs; each wave gets an equal part of SECONDS,
# so the whole run takes SECONDS even when the waves are not all full.
waves=$(( (${#targets[@]} + jobs - 1) / jobs ))
share=$(( total / waves ))
[ "$share" -ge 1 ] || share=1
echo "== fuzz: ${#targets[@]} targets, ${share}s each, $jobs at a time (${total}s) =="

mkdir -p "$out/logs"
declare -A rc
run_target() {
  local t=$1
  mkdir -p "$out/work/$t"
  rm -rf "$out/artifacts/$t"
  mkdir -p "$out/artifacts/$t"
  "$out/$t" "${fuzz_flags[@]}" -max_total_time="$share" -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$t/" \
    "$out/work/$t" "$out/corpus/$t" >"$out/logs/$t.log" 2>&1
}
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
  pids=()
  wave=("${targets[@]:i:jobs}")
  for t in "${wave[@]}"; do
    run_target "$t" &
    pids+=($!)
  done
  for k in "${!wave[@]}"; do
    if wait "${pids[$k]}"; then rc[${wave[$k]}]=0; else rc[${wave[$k]}]=$?; fi
  done
done

# ---- report -----------------------------------------------------------------
status=0
printf '\n%-22s %6s %10s %8s %8s %8s  %s\n' target cov features corpus runs exec/s result
for t in "${targets[@]}"; do
  log="$out/logs/$t.log"
  # The last status line (#N DONE / pulse / NEW) holds cov, ft and corp.
  line=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$line")
  corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$line")
  runs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+).*/\1/p' "$log")
  eps=$(sed -nE 's/^stat::average_exec_per_sec: +([0-9]+).*/\1/p' "$log")
  result=ok
  if [ "${rc[$t]}" != 0 ]; then
    result="FAILED (exit ${rc[$t]})"
    status=1
  fi
  printf '%-22s %6s %10s %8s %8s %8s  %s\n' "$t" "${cov:--}" "${ft:--}" \
    "${corp:--}" "${runs:--}" "${eps:--}" "$result"
done

for t in "${targets[@]}"; do
  [ "${rc[$t]}" = 0 ] && continue
  echo
  echo "== $t failed: $out/logs/$t.log =="
  grep -E 'ERROR:|SUMMARY:|runtime error|==[0-9]+==|#[0-9]+ 0x' "$out/logs/$t.log" | head -30 || true
  kept=0
  for a in "$out/artifacts/$t"/*; do
    [ -f "$a" ] || continue
    mkdir -p "fuzz/regressions/$t"
    cp "$a" "fuzz/regressions/$t/"
    echo "kept fuzz/regressions/$t/$(basename "$a") ($(stat -c %s "$a") bytes): $(head -c 64 "$a" | od -An -tx1 | tr -d ' \n')"
    kept=$((kept + 1))
  done
  [ "$kept" -gt 0 ] || echo "(no input was saved; see the log)"
done

if [ "$status" != 0 ]; then
  echo "enveil: fuzzing found a crash; its input is now a regression test in fuzz/regressions/ (commit it with the fix)." >&2
fi
exit "$status"
