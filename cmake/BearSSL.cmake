# BearSSL 0.6, compiled from only the files enveil calls. The source comes
# from ENVEIL_BEARSSL_SOURCE, or is fetched from Debian's source package into
# build/third_party (never committed).
set(ENVEIL_BEARSSL_SOURCE "" CACHE PATH
    "BearSSL 0.6 source tree (with inc/ and src/); fetched from Debian when empty")

if(NOT ENVEIL_BEARSSL_SOURCE)
  set(_third_party "${PROJECT_SOURCE_DIR}/build/third_party")
  execute_process(
    COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/fetch-bearssl.sh" "${_third_party}"
    RESULT_VARIABLE _fetch_rc)
  if(NOT _fetch_rc EQUAL 0)
    message(FATAL_ERROR "enveil: could not fetch BearSSL 0.6 (see the line above).")
  endif()
  set(ENVEIL_BEARSSL_SOURCE "${_third_party}/bearssl-0.6" CACHE PATH "" FORCE)
endif()

if(NOT EXISTS "${ENVEIL_BEARSSL_SOURCE}/inc/bearssl.h")
  message(FATAL_ERROR "enveil: ${ENVEIL_BEARSSL_SOURCE} is not a BearSSL source tree.")
endif()

# Constant-time implementations only: aes_ct64 + ghash_ctmul64 (never
# aes_big/aes_small), sha2small for HMAC-SHA256.
set(_bearssl_files
  symcipher/aes_ct64.c
  symcipher/aes_ct64_enc.c
  symcipher/aes_ct64_ctr.c
  aead/gcm.c
  symcipher/chacha20_ct.c
  symcipher/poly1305_ctmul.c
  hash/ghash_ctmul64.c
  hash/sha2small.c
  mac/hmac.c
  codec/ccopy.c
  codec/dec32be.c
  codec/enc32be.c
  codec/dec32le.c
  codec/enc32le.c
  codec/dec64be.c
  codec/enc64be.c
)
list(TRANSFORM _bearssl_files PREPEND "${ENVEIL_BEARSSL_SOURCE}/src/")

add_library(enveil_bearssl STATIC ${_bearssl_files})
target_include_directories(enveil_bearssl SYSTEM PUBLIC "${ENVEIL_BEARSSL_SOURCE}/inc")
target_include_directories(enveil_bearssl PRIVATE "${ENVEIL_BEARSSL_SOURCE}/src")
# Speed matters here (PERF-NOTES.md): -O3 whatever the build type.
target_compile_options(enveil_bearssl PRIVATE -O3 -w)
set_target_properties(enveil_bearssl PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)

# Under WASM, full unrolling of the SHA-256 and ChaCha20 round loops turns
# their message-schedule and state indexing into constants (PERF-NOTES.md;
# measured +25% HMAC-SHA256 at 64 KiB, +10% ChaCha20). Only these two files:
# unrolling AES/GHASH grew the module without a gain.
if(EMSCRIPTEN)
  # WASM loads and stores may be unaligned (alignment is only a hint), so
  # BearSSL's little-endian codecs can be single 32-bit accesses instead of
  # four byte moves: ChaCha20-Poly1305 +6-10% (A/B of the two builds in one
  # process), AES-GCM and HMAC unchanged. Never for native builds (UBSan).
  target_compile_definitions(enveil_bearssl PRIVATE BR_LE_UNALIGNED=1)
  set(_unrolled hash/sha2small.c symcipher/chacha20_ct.c)
  list(TRANSFORM _unrolled PREPEND "${ENVEIL_BEARSSL_SOURCE}/src/")
  set_source_files_properties(${_unrolled} PROPERTIES COMPILE_FLAGS
    "-mllvm -unroll-threshold=4000 -mllvm -unroll-full-max-count=200")
endif()
