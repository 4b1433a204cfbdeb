// Side-by-side speed of the AES-GCM kernels in one process (native or WASM):
// BearSSL's aes_ct64 against ours (src/aes_ct64x2.h), for CTR at 64 KiB and
// AES-256-GCM seal per record at 32 B, 1 KiB and 64 KiB, plus the share of
// GHASH at 64 KiB. Rounds are interleaved; a round times each candidate as
// the fastest of many short batches, and each row reports the median over
// the rounds and the median ratio with its range. Speeds, never asserted: run by
// bench/kernels/run.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

extern "C" {
#include <bearssl_aead.h>
#include <bearssl_block.h>
#include <bearssl_hash.h>
}

#include "bench_common.h"
#include "aes_ct64x2.h"
#include "aes_gcm.h"

using namespace enveil;
using Bytes = std::vector<uint8_t>;

using bench::Candidate;
using bench::compare;
using bench::median;
using bench::seconds_per_op;

namespace {

// aes256gcm_seal as it was before aes_ct64x2: br_gcm over aes_ct64.
void bearssl_gcm_seal(const uint8_t* key, const uint8_t* nonce, const Bytes& aad,
                      uint8_t* data, size_t len, uint8_t* tag) {
  br_aes_ct64_ctr_keys aes;
  br_gcm_context gcm;
  br_aes_ct64_ctr_init(&aes, key, 32);
  br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul64);
  br_gcm_reset(&gcm, nonce, 12);
  br_gcm_aad_inject(&gcm, aad.data(), aad.size());
  br_gcm_flip(&gcm);
  br_gcm_run(&gcm, 1, data, len);
  br_gcm_get_tag(&gcm, tag);
}

// AesCt64x2 as a br_block_ctr_class, so br_gcm runs over it unchanged: the
// alternative to our GCM framing that this benchmark weighs.
struct X2CtrKeys {
  const br_block_ctr_class* vtable;
  AesCt64x2 aes;
};
void x2_ctr_init(const br_block_ctr_class** ctx, const void* key, size_t len) {
  auto* k = reinterpret_cast<X2CtrKeys*>(ctx);
  k->aes.init(static_cast<const uint8_t*>(key), len);
}
uint32_t x2_ctr_run(const br_block_ctr_class* const* ctx, const void* iv, uint32_t cc,
                    void* data, size_t len) {
  auto* k = reinterpret_cast<const X2CtrKeys*>(ctx);
  return aes_ctr_run(k->aes, static_cast<const uint8_t*>(iv), cc,
                     static_cast<uint8_t*>(data), len);
}
const br_block_ctr_class kX2CtrVtable = {sizeof(X2CtrKeys), 16, 4, &x2_ctr_init, &x2_ctr_run};

void bearssl_gcm_over_x2_seal(const uint8_t* key, const uint8_t* nonce, const Bytes& aad,
                              uint8_t* data, size_t len, uint8_t* tag) {
  X2CtrKeys aes;
  aes.vtable = &kX2CtrVtable;
  aes.aes.init(key, 32);
  br_gcm_context gcm;
  br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul64);
  br_gcm_reset(&gcm, nonce, 12);
  br_gcm_aad_inject(&gcm, aad.data(), aad.size());
  br_gcm_flip(&gcm);
  br_gcm_run(&gcm, 1, data, len);
  br_gcm_get_tag(&gcm, tag);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  const double budget = 0.04;
  uint8_t key[32], nonce[12], iv[12], tag[16];
  for (int i = 0; i < 32; ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
  std::memcpy(nonce, key + 3, 12);
  std::memcpy(iv, key + 9, 12);
  const Bytes aad(21, 0x5A);
  std::printf("default kernel of this build: %s\n",
              aes256gcm_default_kernel() == AesKernel::kCt64x2 ? "ours (AesCt64x2)"
                                                               : "BearSSL aes_ct64");

  {
    Bytes data(65536, 1);
    br_aes_ct64_ctr_keys bear;
    br_aes_ct64_ctr_init(&bear, key, 32);
    AesCt64x2 x2;
    x2.init(key, 32);
    AesCt64 ct64;
    ct64.init(key, 32);
    compare("CTR 64 KiB (key schedule done once)", data.size(),
            {{"BearSSL aes_ct64", [&] { br_aes_ct64_ctr_run(&bear, iv, 0, data.data(), data.size()); }},
             {"ours AesCt64x2", [&] { aes_ctr_run(x2, iv, 0, data.data(), data.size()); }},
             {"BearSSL aes_ct64, our CTR loop", [&] { aes_ctr_run(ct64, iv, 0, data.data(), data.size()); }}},
            rounds, budget);
  }

  for (size_t len : {size_t{32}, size_t{1024}, size_t{65536}}) {
    Bytes data(len, 2), out(len + 16);
    char title[96];
    std::snprintf(title, sizeof title, "AES-256-GCM seal, %zu B per record (key schedule included)",
                  len);
    auto ours = [&](AesKernel k) {
      return [&, k] {
        (void)aes256gcm_seal_with(k, ByteView(key, 32), ByteView(nonce, 12), data,
                                  {ByteView(aad)}, out);
      };
    };
    compare(title, len,
            {{"BearSSL br_gcm + aes_ct64 (before)",
              [&] { bearssl_gcm_seal(key, nonce, aad, data.data(), len, tag); }},
             {"br_gcm + AesCt64x2 vtable",
              [&] { bearssl_gcm_over_x2_seal(key, nonce, aad, data.data(), len, tag); }},
             {"our GCM + BearSSL aes_ct64", ours(AesKernel::kBearSslCt64)},
             {"our GCM + AesCt64x2", ours(AesKernel::kCt64x2)}},
            rounds, budget);
  }

  {
    // Where the time goes at 64 KiB with our kernel: CTR alone, GHASH alone.
    Bytes data(65536, 3);
    uint8_t y[16] = {0}, h[16] = {1};
    AesCt64x2 x2;
    x2.init(key, 32);
    Bytes out(data.size() + 16);
    compare("64 KiB: GCM seal and its parts (time as a share of the seal)", data.size(),
            {{"GCM seal (ours, default kernel)",
              [&] {
                (void)aes256gcm_seal(ByteView(key, 32), ByteView(nonce, 12), data,
                                     ByteView(aad), out);
              }},
             {"CTR alone (default kernel)",
              [&] {
                if (aes256gcm_default_kernel() == AesKernel::kCt64x2) {
                  aes_ctr_run(x2, iv, 0, data.data(), data.size());
                } else {
                  AesCt64 k;
                  k.init(key, 32);
                  aes_ctr_run(k, iv, 0, data.data(), data.size());
                }
              }},
             {"GHASH alone (BearSSL ctmul64)",
              [&] { br_ghash_ctmul64(y, h, data.data(), data.size()); }}},
            rounds, budget, true);
  }
  return 0;
}
