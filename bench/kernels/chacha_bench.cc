// Side-by-side speed of the ChaCha20 kernels in one process (native or WASM):
// BearSSL's chacha20_ct against ours (src/chacha20_x4.h), for the raw key
// stream at 64 B, 1 KiB and 64 KiB and for ChaCha20-Poly1305 seal at 32 B,
// 1 KiB and 64 KiB, plus the share of Poly1305 (BearSSL's poly1305_ctmul) in
// a seal. Rounds are interleaved; a round times each candidate as the
// fastest of many short batches, and each row reports the median over the
// rounds and the median ratio with its range. Speeds, never asserted: run by
// bench/kernels/run.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

extern "C" {
#include <bearssl_block.h>
}

#include "bench_common.h"
#include "chacha20_poly1305.h"
#include "chacha20_x4.h"

using namespace enveil;
using Bytes = std::vector<uint8_t>;

using bench::Candidate;
using bench::compare;
using bench::median;
using bench::seconds_per_op;

namespace {

// A ChaCha20 that does nothing: br_poly1305_ctmul_run over it is Poly1305
// alone (with an all-zero one-time key, which costs the same).
uint32_t no_chacha(const void*, const void*, uint32_t cc, void*, size_t) { return cc; }

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  const double budget = 0.04;
  uint8_t key[32], nonce[12], tag[16];
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
  std::memcpy(nonce, key + 3, 12);
  const Bytes aad(21, 0x5A);
  std::printf("default ChaCha20 kernel of this build: %s\n",
              chacha20poly1305_default_kernel() == ChaChaKernel::kX4
                  ? "ours (chacha20_x4)"
                  : "BearSSL chacha20_ct");

  for (size_t len : {size_t{64}, size_t{1024}, size_t{65536}}) {
    Bytes data(len, 1);
    char title[96];
    std::snprintf(title, sizeof title, "ChaCha20 key stream XOR, %zu B", len);
    compare(title, len,
            {{"BearSSL chacha20_ct",
              [&] { br_chacha20_ct_run(key, nonce, 1, data.data(), data.size()); }},
             {"ours chacha20_x4",
              [&] { chacha20_x4_run(key, nonce, 1, data.data(), data.size()); }}},
            rounds, budget);
  }

  for (size_t len : {size_t{32}, size_t{1024}, size_t{65536}}) {
    Bytes data(len, 2), out(len + 16);
    char title[96];
    std::snprintf(title, sizeof title, "ChaCha20-Poly1305 seal, %zu B, 21 B AAD", len);
    auto seal = [&](ChaChaKernel k) {
      return [&, k] {
        (void)chacha20poly1305_seal_with(k, ByteView(key, 32), ByteView(nonce, 12), data,
                                         {ByteView(aad)}, out);
      };
    };
    compare(title, len,
            {{"BearSSL chacha20_ct + poly1305_ctmul", seal(ChaChaKernel::kBearSslCt)},
             {"ours chacha20_x4 + poly1305_ctmul", seal(ChaChaKernel::kX4)}},
            rounds, budget);
  }

  for (size_t len : {size_t{1024}, size_t{65536}}) {
    Bytes data(len, 3), out(len + 16);
    char title[96];
    std::snprintf(title, sizeof title,
                  "%zu B: seal (default kernel) and Poly1305 alone (share of the seal)", len);
    compare(title, len,
            {{"seal (default kernel)",
              [&] {
                (void)chacha20poly1305_seal(ByteView(key, 32), ByteView(nonce, 12), data,
                                            {ByteView(aad)}, out);
              }},
             {"Poly1305 alone (BearSSL ctmul)",
              [&] {
                br_poly1305_ctmul_run(key, nonce, data.data(), data.size(), aad.data(),
                                      aad.size(), tag, no_chacha, 1);
              }}},
            rounds, budget, true);
  }
  return 0;
}
