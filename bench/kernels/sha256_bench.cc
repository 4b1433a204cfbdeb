// Side-by-side speed of SHA-256 and HMAC-SHA256 in one process (native or
// WASM): BearSSL's sha2small and br_hmac against ours (src/sha256.h, and
// src/hmac.h over it). Rows: the compression function alone (one block, and
// 64 KiB in one call), then HMAC at 32 B, 1 KiB and 64 KiB, one-shot (the
// key's pads computed per message) and under a reused key (pads cached).
// Rounds are interleaved; a round times each candidate as the fastest of many
// short batches, and each row reports the median over the rounds and the
// median ratio to the first candidate with its range. Speeds, never asserted:
// run by bench/kernels/run.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

extern "C" {
#include <bearssl_hash.h>
#include <bearssl_hmac.h>
// BearSSL's compression function (src/inner.h, not in the public headers).
void br_sha2small_round(const unsigned char* buf, uint32_t* val);
}

#include "bench_common.h"
#include "hmac.h"
#include "sha256.h"

using namespace enveil;
using Bytes = std::vector<uint8_t>;

using bench::Candidate;
using bench::compare;
using bench::median;
using bench::seconds_per_op;

namespace {

// Defeats dead-code elimination of the measured work.
volatile uint8_t g_sink;

void bearssl_hmac(const br_hmac_key_context& kc, const Bytes& msg, uint8_t out[32]) {
  br_hmac_context ctx;
  br_hmac_init(&ctx, &kc, 0);
  br_hmac_update(&ctx, msg.data(), msg.size());
  br_hmac_out(&ctx, out);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  const double budget = 0.04;
  uint8_t key[32], out[32];
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);

  // The outputs agree before anything is timed.
  {
    const Bytes msg(1000, 0x61);
    br_hmac_key_context kc;
    br_hmac_key_init(&kc, &br_sha256_vtable, key, sizeof key);
    uint8_t want[32];
    bearssl_hmac(kc, msg, want);
    if (!hmac_sha256(ByteView(key), msg, out).ok() || std::memcmp(out, want, 32) != 0) {
      std::fprintf(stderr, "sha256_bench: our HMAC disagrees with BearSSL's\n");
      return 1;
    }
  }

  {
    uint8_t block[64];
    std::memset(block, 0x5c, sizeof block);
    uint32_t bear[8] = {1, 2, 3, 4, 5, 6, 7, 8}, ours[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    compare("compression, one block", 64,
            {{"BearSSL br_sha2small_round", [&] { br_sha2small_round(block, bear); }},
             {"ours sha256_compress", [&] { sha256_compress(ours, block, 1); }}},
            rounds, budget);
    g_sink = static_cast<uint8_t>(bear[0] ^ ours[0]);
  }
  {
    const Bytes data(65536, 7);
    compare("SHA-256 of 64 KiB (update + out)", data.size(),
            {{"BearSSL br_sha256",
              [&] {
                br_sha256_context c;
                br_sha256_init(&c);
                br_sha256_update(&c, data.data(), data.size());
                br_sha256_out(&c, out);
              }},
             {"ours sha256", [&] { sha256(data, out); }}},
            rounds, budget);
  }

  for (size_t len : {size_t{32}, size_t{1024}, size_t{65536}}) {
    const Bytes msg(len, 3);
    char title[96];
    std::snprintf(title, sizeof title, "HMAC-SHA256, %zu B, one-shot (pads per message)", len);
    compare(title, len,
            {{"BearSSL br_hmac",
              [&] {
                br_hmac_key_context kc;
                br_hmac_key_init(&kc, &br_sha256_vtable, key, sizeof key);
                bearssl_hmac(kc, msg, out);
              }},
             {"ours hmac_sha256", [&] { (void)hmac_sha256(ByteView(key), msg, out); }}},
            rounds, budget);
    br_hmac_key_context kc;
    br_hmac_key_init(&kc, &br_sha256_vtable, key, sizeof key);
    const HmacSha256Key cached{ByteView(key)};
    std::snprintf(title, sizeof title, "HMAC-SHA256, %zu B, reused key (cached pads)", len);
    compare(title, len,
            {{"BearSSL br_hmac", [&] { bearssl_hmac(kc, msg, out); }},
             {"ours hmac_sha256(key)", [&] { (void)hmac_sha256(cached, msg, out); }}},
            rounds, budget);
  }
  g_sink = out[0];
  return 0;
}
