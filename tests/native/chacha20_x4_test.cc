// Our ChaCha20 kernel (chacha20_x4.h) against BearSSL's br_chacha20_ct_run
// (output and returned counter, every length up to 600 bytes, counters
// wrapping at 2^32, calls split across blocks), the RFC 8439 key-stream
// vectors, and ChaCha20-Poly1305 through each kernel by name: equal to each
// other for every length, and the Wycheproof vectors through both.
#include "chacha20_x4.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

extern "C" {
#include <bearssl_block.h>
}

#include "chacha20_poly1305.h"
#include "wycheproof.h"

namespace enveil {

// Names the kernel in test output (GoogleTest finds it by ADL).
void PrintTo(ChaChaKernel kernel, std::ostream* os) {
  *os << (kernel == ChaChaKernel::kX4 ? "chacha20_x4" : "BearSSL chacha20_ct");
}

namespace {

using testing::from_hex;
using testing::to_hex;
using Bytes = std::vector<uint8_t>;

Bytes random_bytes(std::mt19937& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

TEST(ChaCha20X4, MatchesBearSslForEveryLengthUpTo600) {
  std::mt19937 rng(1);
  for (size_t len = 0; len <= 600; ++len) {
    const Bytes key = random_bytes(rng, 32), iv = random_bytes(rng, 12);
    const uint32_t cc = static_cast<uint32_t>(rng());
    const Bytes data = random_bytes(rng, len);
    Bytes want = data, got = data;
    const uint32_t want_cc = br_chacha20_ct_run(key.data(), iv.data(), cc, want.data(), len);
    const uint32_t got_cc = chacha20_x4_run(key.data(), iv.data(), cc, got.data(), len);
    ASSERT_EQ(to_hex(got), to_hex(want)) << "length " << len;
    ASSERT_EQ(got_cc, want_cc) << "length " << len;
  }
}

TEST(ChaCha20X4, CounterWrapsAt2To32LikeBearSsl) {
  std::mt19937 rng(2);
  const Bytes key = random_bytes(rng, 32), iv = random_bytes(rng, 12);
  for (uint32_t back = 0; back < 10; ++back) {
    const uint32_t cc = 0xFFFFFFFFu - back;
    for (size_t len : {size_t{1}, size_t{64}, size_t{100}, size_t{256}, size_t{333},
                       size_t{1000}, size_t{4096}}) {
      const Bytes data = random_bytes(rng, len);
      Bytes want = data, got = data;
      const uint32_t want_cc = br_chacha20_ct_run(key.data(), iv.data(), cc, want.data(), len);
      ASSERT_EQ(chacha20_x4_run(key.data(), iv.data(), cc, got.data(), len), want_cc)
          << "counter " << cc << ", length " << len;
      ASSERT_EQ(got, want) << "counter " << cc << ", length " << len;
    }
  }
}

TEST(ChaCha20X4, LargeBuffersAndCallsSplitAtBlocksMatchBearSsl) {
  std::mt19937 rng(3);
  const Bytes key = random_bytes(rng, 32), iv = random_bytes(rng, 12);
  const Bytes data = random_bytes(rng, 70000);
  Bytes want = data;
  br_chacha20_ct_run(key.data(), iv.data(), 5, want.data(), want.size());
  Bytes whole = data;
  EXPECT_EQ(chacha20_x4_run(key.data(), iv.data(), 5, whole.data(), whole.size()),
            5u + (70000 + 63) / 64);
  EXPECT_EQ(whole, want);
  for (size_t first : {size_t{0}, size_t{64}, size_t{192}, size_t{256}, size_t{320},
                       size_t{4096}, size_t{69952}}) {
    Bytes parts = data;
    const uint32_t next = chacha20_x4_run(key.data(), iv.data(), 5, parts.data(), first);
    ASSERT_EQ(next, 5u + first / 64);
    chacha20_x4_run(key.data(), iv.data(), next, parts.data() + first, parts.size() - first);
    ASSERT_EQ(parts, want) << "split at " << first;
  }
}

TEST(ChaCha20X4, KeystreamIsFourConsecutiveBlocks) {
  std::mt19937 rng(4);
  const Bytes key = random_bytes(rng, 32), iv = random_bytes(rng, 12);
  for (uint32_t cc : {0u, 1u, 0xFFFFFFFDu}) {
    Bytes want(kChaChaX4BatchBytes, 0), got(kChaChaX4BatchBytes, 0xEE);
    br_chacha20_ct_run(key.data(), iv.data(), cc, want.data(), want.size());
    chacha20_x4_keystream(key.data(), iv.data(), cc, got.data());
    EXPECT_EQ(got, want) << "counter " << cc;
  }
}

// RFC 8439 §2.4.2 (the sunscreen text, counter 1) and A.1 test vector #1
// (all-zero key and nonce, counter 0).
TEST(ChaCha20X4, Rfc8439Vectors) {
  Bytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  const Bytes nonce = from_hex("000000000000004a00000000");
  const std::string text =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
      "the future, sunscreen would be it.";
  Bytes data(text.begin(), text.end());
  EXPECT_EQ(chacha20_x4_run(key.data(), nonce.data(), 1, data.data(), data.size()), 3u);
  EXPECT_EQ(to_hex(data),
            "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
            "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
            "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
            "5af90bbf74a35be6b40b8eedf2785e42874d");

  const Bytes zero_key(32, 0), zero_nonce(12, 0);
  Bytes block(64, 0);
  EXPECT_EQ(chacha20_x4_run(zero_key.data(), zero_nonce.data(), 0, block.data(), 64), 1u);
  EXPECT_EQ(to_hex(block),
            "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
            "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586");
}

class ChaCha20Poly1305Kernel : public ::testing::TestWithParam<ChaChaKernel> {};

TEST_P(ChaCha20Poly1305Kernel, ReplaysWycheproofVectors) {
  const ChaChaKernel kernel = GetParam();
  const auto counts = testing::replay_aead(
      "chacha20_poly1305_test.json",
      [kernel](const Bytes& k, const Bytes& n, const Bytes& in, const Bytes& aad, Bytes& out) {
        return static_cast<int>(
            chacha20poly1305_seal_with(kernel, k, n, in, {ByteView(aad)}, out).code());
      },
      [kernel](const Bytes& k, const Bytes& n, const Bytes& in, const Bytes& aad, Bytes& out) {
        return static_cast<int>(
            chacha20poly1305_open_with(kernel, k, n, in, {ByteView(aad)}, out).code());
      });
  EXPECT_EQ(counts.run, 325);
  EXPECT_EQ(counts.passed, counts.run);
}

// Both kernels give the same sealed bytes for every length up to 600 (the
// first batch of ours serves the Poly1305 key and the first 192 bytes), with
// the AAD in parts and in place; each opens the other's, and a flipped bit
// is AUTH_FAILED with the output wiped.
TEST_P(ChaCha20Poly1305Kernel, AgreesWithBearSslKernelForEveryLengthUpTo600) {
  const ChaChaKernel kernel = GetParam();
  std::mt19937 rng(5);
  for (size_t len = 0; len <= 600; ++len) {
    const Bytes key = random_bytes(rng, 32), nonce = random_bytes(rng, 12);
    const Bytes aad = random_bytes(rng, rng() % 40), pt = random_bytes(rng, len);
    const size_t cut = aad.empty() ? 0 : rng() % aad.size();
    const ByteView a(aad);
    Bytes want(len + kChaChaPolyTagBytes), got(len + kChaChaPolyTagBytes);
    ASSERT_TRUE(chacha20poly1305_seal_with(ChaChaKernel::kBearSslCt, key, nonce, pt, {a},
                                           want)
                    .ok());
    if (len) std::memcpy(got.data(), pt.data(), len);
    ASSERT_TRUE(chacha20poly1305_seal_with(kernel, key, nonce, ByteView(got.data(), len),
                                           {a.first(cut), a.subspan(cut)}, got)
                    .ok());
    ASSERT_EQ(to_hex(got), to_hex(want)) << "length " << len;

    Bytes opened(len);
    ASSERT_TRUE(chacha20poly1305_open_with(kernel, key, nonce, want, {a}, opened).ok());
    ASSERT_EQ(opened, pt) << "length " << len;
    Bytes bad = want;
    bad[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    Bytes rejected(len, 0xA5);
    ASSERT_EQ(chacha20poly1305_open_with(kernel, key, nonce, bad, {a}, rejected).code(),
              ErrorCode::kAuthFailed);
    ASSERT_EQ(rejected, Bytes(len, 0));
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, ChaCha20Poly1305Kernel,
                         ::testing::Values(ChaChaKernel::kBearSslCt, ChaChaKernel::kX4));

TEST(ChaCha20Poly1305DefaultKernel, IsOursWhereTheBuildHasVectors) {
  EXPECT_EQ(chacha20poly1305_default_kernel(),
            kChaChaHasVectors ? ChaChaKernel::kX4 : ChaChaKernel::kBearSslCt);
}

}  // namespace
}  // namespace enveil
