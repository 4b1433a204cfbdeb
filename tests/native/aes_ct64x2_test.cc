// The AES kernels of aes_ct64x2.h (ours and BearSSL's, driven by our code)
// against BearSSL itself: CTR against br_aes_ct64_ctr_run, GCM against
// br_gcm over aes_ct64 and ghash_ctmul64, for many sizes; and the Wycheproof
// AES-GCM vectors through each kernel by name.
#include "aes_ct64x2.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <random>
#include <vector>

extern "C" {
#include <bearssl_aead.h>
#include <bearssl_block.h>
#include <bearssl_hash.h>
}

#include "aes_gcm.h"
#include "wycheproof.h"

namespace enveil {

// Names the kernel in test output (GoogleTest finds it by ADL).
void PrintTo(AesKernel kernel, std::ostream* os) {
  *os << (kernel == AesKernel::kCt64x2 ? "AesCt64x2" : "BearSSL aes_ct64");
}

namespace {

using Bytes = std::vector<uint8_t>;

Bytes random_bytes(std::mt19937& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

uint32_t bearssl_ctr(const Bytes& key, const uint8_t* iv, uint32_t cc, Bytes& data) {
  br_aes_ct64_ctr_keys keys;
  br_aes_ct64_ctr_init(&keys, key.data(), key.size());
  return br_aes_ct64_ctr_run(&keys, iv, cc, data.data(), data.size());
}

template <class Aes>
uint32_t our_ctr(const Bytes& key, const uint8_t* iv, uint32_t cc, Bytes& data) {
  Aes aes;
  aes.init(key.data(), key.size());
  return aes_ctr_run(aes, iv, cc, data.data(), data.size());
}

// BearSSL's GCM, the oracle: ciphertext ‖ tag.
Bytes bearssl_gcm_seal(const Bytes& key, const Bytes& nonce, const Bytes& plaintext,
                       const Bytes& aad) {
  br_aes_ct64_ctr_keys keys;
  br_aes_ct64_ctr_init(&keys, key.data(), key.size());
  br_gcm_context gcm;
  br_gcm_init(&gcm, &keys.vtable, br_ghash_ctmul64);
  br_gcm_reset(&gcm, nonce.data(), nonce.size());
  if (!aad.empty()) br_gcm_aad_inject(&gcm, aad.data(), aad.size());
  br_gcm_flip(&gcm);
  Bytes out = plaintext;
  out.resize(plaintext.size() + kAesGcmTagBytes);
  br_gcm_run(&gcm, 1, out.data(), plaintext.size());
  br_gcm_get_tag(&gcm, out.data() + plaintext.size());
  return out;
}

template <class Aes>
void expect_ctr_matches_bearssl(uint32_t seed) {
  std::mt19937 rng(seed);
  for (size_t key_len : {16, 24, 32}) {
    for (size_t len = 0; len <= 300; ++len) {
      const Bytes key = random_bytes(rng, key_len);
      const Bytes iv = random_bytes(rng, 12);
      const uint32_t cc = static_cast<uint32_t>(rng());
      const Bytes data = random_bytes(rng, len);
      Bytes want = data, got = data;
      const uint32_t want_cc = bearssl_ctr(key, iv.data(), cc, want);
      const uint32_t got_cc = our_ctr<Aes>(key, iv.data(), cc, got);
      ASSERT_EQ(got, want) << "key " << key_len << " bytes, length " << len;
      ASSERT_EQ(got_cc, want_cc) << "key " << key_len << " bytes, length " << len;
    }
  }
}

TEST(AesCt64x2, CtrMatchesBearSslForEveryLengthUpTo300AndEachKeySize) {
  expect_ctr_matches_bearssl<AesCt64x2>(1);
}

TEST(AesCt64, CtrThroughOurDriverMatchesBearSslForEveryLengthUpTo300) {
  expect_ctr_matches_bearssl<AesCt64>(2);
}

template <class Aes>
void expect_counter_wraps_like_bearssl() {
  std::mt19937 rng(3);
  const Bytes key = random_bytes(rng, 32), iv = random_bytes(rng, 12);
  for (uint32_t back = 0; back < 20; ++back) {
    const uint32_t cc = 0xFFFFFFFFu - back;
    for (size_t len : {size_t{16}, size_t{100}, size_t{128}, size_t{333}, size_t{4096}}) {
      const Bytes data = random_bytes(rng, len);
      Bytes want = data, got = data;
      const uint32_t want_cc = bearssl_ctr(key, iv.data(), cc, want);
      ASSERT_EQ(our_ctr<Aes>(key, iv.data(), cc, got), want_cc);
      ASSERT_EQ(got, want) << "counter " << cc << ", length " << len;
    }
  }
}

TEST(AesCt64x2, CounterWrapsAt2To32LikeBearSsl) {
  expect_counter_wraps_like_bearssl<AesCt64x2>();
}

TEST(AesCt64, CounterWrapsAt2To32LikeBearSsl) {
  expect_counter_wraps_like_bearssl<AesCt64>();
}

TEST(AesCt64x2, CtrOfLargeBuffersMatchesBearSsl) {
  std::mt19937 rng(4);
  for (size_t len : {size_t{65536}, size_t{65536 + 15}, size_t{1 << 20} + 77}) {
    const Bytes key = random_bytes(rng, 32), iv = random_bytes(rng, 12);
    const Bytes data = random_bytes(rng, len);
    Bytes want = data, got = data;
    bearssl_ctr(key, iv.data(), 5, want);
    our_ctr<AesCt64x2>(key, iv.data(), 5, got);
    EXPECT_EQ(got, want) << "length " << len;
  }
}

// GCM through each kernel against BearSSL's br_gcm: plaintext and AAD sizes
// around the block and pass boundaries (16, 96 and 128 bytes), AAD given
// whole and split in parts at every offset.
class AesGcmKernel : public ::testing::TestWithParam<AesKernel> {};

TEST_P(AesGcmKernel, SealsExactlyAsBearSslGcmForManySizes) {
  std::mt19937 rng(5);
  for (size_t len = 0; len <= 300; ++len) {
    const Bytes key = random_bytes(rng, 32), nonce = random_bytes(rng, 12);
    const Bytes plaintext = random_bytes(rng, len);
    const Bytes aad = random_bytes(rng, rng() % 70);
    const Bytes want = bearssl_gcm_seal(key, nonce, plaintext, aad);
    Bytes got(len + kAesGcmTagBytes);
    ASSERT_TRUE(aes256gcm_seal_with(GetParam(), key, nonce, plaintext, {ByteView(aad)}, got).ok());
    ASSERT_EQ(got, want) << "plaintext " << len << " bytes, aad " << aad.size();

    Bytes opened(len);
    ASSERT_TRUE(aes256gcm_open_with(GetParam(), key, nonce, want, {ByteView(aad)}, opened).ok());
    ASSERT_EQ(opened, plaintext);
    Bytes flipped = want;
    flipped[rng() % flipped.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    Bytes rejected(len, 0xAA);
    ASSERT_EQ(aes256gcm_open_with(GetParam(), key, nonce, flipped, {ByteView(aad)}, rejected)
                  .code(),
              ErrorCode::kAuthFailed);
    ASSERT_EQ(rejected, Bytes(len, 0)) << "a rejected open wipes its output";
  }
}

TEST_P(AesGcmKernel, AuthenticatesAadSplitAnywhereAsTheWholeString) {
  std::mt19937 rng(6);
  const Bytes key = random_bytes(rng, 32), nonce = random_bytes(rng, 12);
  const Bytes plaintext = random_bytes(rng, 40);
  for (size_t aad_len : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{33},
                         size_t{64}, size_t{100}}) {
    const Bytes aad = random_bytes(rng, aad_len);
    const Bytes want = bearssl_gcm_seal(key, nonce, plaintext, aad);
    for (size_t a = 0; a <= aad_len; ++a) {
      for (size_t b = a; b <= aad_len; b += 7) {
        const ByteView whole(aad);
        Bytes got(want.size());
        ASSERT_TRUE(aes256gcm_seal_with(GetParam(), key, nonce, plaintext,
                                        {whole.first(a), whole.subspan(a, b - a),
                                         whole.subspan(b)},
                                        got)
                        .ok());
        ASSERT_EQ(got, want) << "aad " << aad_len << " split at " << a << ", " << b;
      }
    }
  }
}

TEST_P(AesGcmKernel, SealsAndOpensLargeRecordsInPlace) {
  std::mt19937 rng(7);
  for (size_t len : {size_t{1024}, size_t{65536}, size_t{65536 + 100}}) {
    const Bytes key = random_bytes(rng, 32), nonce = random_bytes(rng, 12);
    const Bytes plaintext = random_bytes(rng, len), aad = random_bytes(rng, 13);
    const Bytes want = bearssl_gcm_seal(key, nonce, plaintext, aad);
    Bytes buf = plaintext;
    buf.resize(len + kAesGcmTagBytes);
    ASSERT_TRUE(aes256gcm_seal_with(GetParam(), key, nonce, ByteView(buf.data(), len),
                                    {ByteView(aad)}, buf)
                    .ok());
    EXPECT_EQ(buf, want);
    ASSERT_TRUE(aes256gcm_open_with(GetParam(), key, nonce, buf, {ByteView(aad)},
                                    MutableByteView(buf.data(), len))
                    .ok());
    EXPECT_EQ(Bytes(buf.begin(), buf.begin() + len), plaintext);
  }
}

TEST_P(AesGcmKernel, ReplaysWycheproofVectors) {
  const AesKernel kernel = GetParam();
  const auto counts = testing::replay_aead(
      "aes_gcm_test.json",
      [kernel](const Bytes& k, const Bytes& n, const Bytes& in, const Bytes& aad, Bytes& out) {
        return static_cast<int>(aes256gcm_seal_with(kernel, k, n, in, {ByteView(aad)}, out).code());
      },
      [kernel](const Bytes& k, const Bytes& n, const Bytes& in, const Bytes& aad, Bytes& out) {
        return static_cast<int>(aes256gcm_open_with(kernel, k, n, in, {ByteView(aad)}, out).code());
      });
  EXPECT_EQ(counts.run - counts.rejected_sizes, 66);
  EXPECT_EQ(counts.passed, counts.run);
}

INSTANTIATE_TEST_SUITE_P(EachKernel, AesGcmKernel,
                         ::testing::Values(AesKernel::kCt64x2, AesKernel::kBearSslCt64),
                         [](const ::testing::TestParamInfo<AesKernel>& info) {
                           return info.param == AesKernel::kCt64x2 ? "Ct64x2" : "BearSslCt64";
                         });

#if defined(__x86_64__) || defined(__aarch64__)
// The native build, which runs Wycheproof through aes256gcm_* and the
// constant-time check, ships the kernel the WASM SIMD build ships.
TEST(AesGcmKernel, NativeBuildUsesTheVectorKernel) {
  EXPECT_EQ(aes256gcm_default_kernel(), AesKernel::kCt64x2);
}
#endif

}  // namespace
}  // namespace enveil
