// Constant-time check in the style of ctgrind (Adam Langley, 2010): secret
// bytes are marked undefined with memcheck's client requests, so valgrind
// reports every conditional branch and every memory address that depends on
// a secret ("Conditional jump or move depends on uninitialised value(s)",
// "Use of uninitialised value of size 8"). Copies, arithmetic and conditional
// moves on secrets are silent: that is exactly constant-time code.
//
// Run only under valgrind (scripts/test-ct.sh does):
//   valgrind --error-exitcode=1 --track-origins=yes ./ct_check [SECTION...]
//   valgrind --error-exitcode=1 --track-origins=yes ./ct_check --leaky
// With no SECTION every section runs; --list prints them. --leaky runs only a
// deliberately leaky early-exit tag comparison, which valgrind must report:
// the check proves it can fail.
//
// What is public, and declassified (VALGRIND_MAKE_MEM_DEFINED):
//   - what the API publishes anyway: ciphertext, tags and records produced,
//     stream headers and chunks, blind indexes, and the Status of
//     open/verify/unwrap (accept or reject);
//   - the layout of a stream header (sizes, file id, context, key id),
//     parsed in the clear; its commitment and the wrapped key's commitment
//     and tag stay secret when a header is opened;
//   - the boolean result of ct_equal(). The core branches on it (reject and
//     wipe) inside aes256gcm_open, chacha20poly1305_open, record_open and
//     hmac_sha256_verify; a reject is observable, so that bit is public. It
//     is declassified at the one place it is produced: the build links with
//     -Wl,--wrap=<ct_equal> and __wrap_ below calls the real ct_equal (whose
//     loop is still checked) and then marks its result defined. Built
//     without ENVEIL_CT_DECLASSIFY_CT_EQUAL (ENVEIL_CT_STRICT=1 in
//     scripts/test-ct.sh) nothing is declassified inside the core, and
//     valgrind shows each of those branches.
//
// Blind-index normalisation: the lowercase modes decode UTF-8 and map code
// points; non-ASCII lowercase mapping is a binary search over a table
// (unicode_case.h says so) and is variable-time by design. The check
// therefore treats only the *content* of ASCII values as secret: for the
// normalising modes it poisons the low 7 bits of each byte and keeps the top
// bit (which says "ASCII") defined. Mode kNone poisons whole bytes.
// kTrimLowercase (which bytes are White_Space, how many are trimmed) and
// kDigits (which bytes are digits) are variable-time by design even for
// ASCII: their sections are informational (--list marks them "info") and
// scripts/test-ct.sh reports what valgrind finds there without failing.
#include <valgrind/memcheck.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "aes_ct64x2.h"
#include "aes_gcm.h"
#include "blind_index.h"
#include "bytes.h"
#include "chacha20_poly1305.h"
#include "chacha20_x4.h"
#include "hkdf.h"
#include "hmac.h"
#include "key_wrap.h"
#include "keyring.h"
#include "record_format.h"
#include "secret.h"
#include "sha256.h"
#include "status.h"
#include "stream_format.h"

#ifndef ENVEIL_CT_CHECK
#error "build with -DENVEIL_CT_CHECK (scripts/test-ct.sh does)"
#endif

using enveil::ByteView;
using enveil::MutableByteView;
using enveil::Status;
using Bytes = std::vector<uint8_t>;

#ifdef ENVEIL_CT_DECLASSIFY_CT_EQUAL
// The mangled name of enveil::ct_equal(std::span<const uint8_t>,
// std::span<const uint8_t>); scripts/test-ct.sh checks it against nm.
#define ENVEIL_CT_EQUAL_SYMBOL "_ZN6enveil8ct_equalESt4spanIKhLm18446744073709551615EES2_"
bool real_ct_equal(ByteView a, ByteView b) noexcept
    __asm__("__real_" ENVEIL_CT_EQUAL_SYMBOL);
bool wrap_ct_equal(ByteView a, ByteView b) noexcept
    __asm__("__wrap_" ENVEIL_CT_EQUAL_SYMBOL);
bool wrap_ct_equal(ByteView a, ByteView b) noexcept {
  bool equal = real_ct_equal(a, b);
  // Accept/reject is public: declassify the one bit ct_equal returns.
  VALGRIND_MAKE_MEM_DEFINED(&equal, sizeof equal);
  return equal;
}
#endif

namespace {

int g_failures = 0;

// ---- poisoning ------------------------------------------------------------

void poison(const void* p, size_t n) {
  if (n) VALGRIND_MAKE_MEM_UNDEFINED(p, n);
}
void poison(const Bytes& b) { poison(b.data(), b.size()); }

// Content of an ASCII string secret, its ASCII-ness public: the low 7 bits
// of each byte undefined, the top bit defined (and zero).
void poison_ascii_content(const void* p, size_t n) {
  if (!n) return;
  const Bytes vbits(n, 0x7F);  // V bit 1 = undefined
  VALGRIND_SET_VBITS(p, vbits.data(), n);
}

void declassify(const void* p, size_t n) {
  if (n) VALGRIND_MAKE_MEM_DEFINED(p, n);
}
void declassify(const Bytes& b) { declassify(b.data(), b.size()); }
void declassify(const std::string& s) { declassify(s.data(), s.size()); }
template <typename T>
void declassify_value(const T& v) {
  declassify(&v, sizeof v);
}

// Whether any bit of [p, p+n) is undefined. Reading V bits is not a use, so
// this reports nothing; it proves the poison reached an output (an output
// that came out fully defined would mean the check tested nothing).
bool tainted(const void* p, size_t n) {
  if (!n) return false;
  Bytes vbits(n, 0);
  if (VALGRIND_GET_VBITS(p, vbits.data(), n) != 1) return false;
  for (uint8_t v : vbits) {
    if (v) return true;
  }
  return false;
}
bool tainted(const Bytes& b) { return tainted(b.data(), b.size()); }
bool tainted(const std::string& s) { return tainted(s.data(), s.size()); }

// ---- reporting (every argument here is public) ----------------------------

void check(bool ok, const char* section, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "ct_check: %s: FAILED: %s\n", section, what);
    ++g_failures;
  }
}

void check_status(Status st, enveil::ErrorCode want, const char* section,
                  const char* what) {
  declassify_value(st);  // the Status is public: declassify before branching
  check(st.code() == want, section, what);
}

// An output must carry the poison before it is declassified.
void check_tainted_then_declassify(const Bytes& b, const char* section,
                                   const char* what) {
  check(tainted(b), section, what);
  declassify(b);
}

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + 37 * i);
  return b;
}

Bytes ascii(std::string_view s) { return Bytes(s.begin(), s.end()); }

ByteView view(const Bytes& b) { return ByteView(b.data(), b.size()); }
MutableByteView mview(Bytes& b) { return MutableByteView(b.data(), b.size()); }

// ---- sections -------------------------------------------------------------

using SealFn = Status (*)(ByteView, ByteView, ByteView,
                          std::initializer_list<ByteView>, MutableByteView);
using OpenFn = SealFn;

// Seal and open one AEAD with key, plaintext and received tag poisoned.
void aead_section(const char* name, SealFn seal, OpenFn open, size_t tag_bytes) {
  const Bytes key = pattern(32, 0x11);
  const Bytes nonce = pattern(12, 0x22);
  const Bytes aad = ascii("header");
  for (size_t len : {size_t{0}, size_t{1}, size_t{100}}) {
    const Bytes plaintext = pattern(len, 0x33);
    // Reference, nothing poisoned.
    Bytes want(len + tag_bytes);
    check_status(seal(view(key), view(nonce), view(plaintext), {view(aad)},
                      mview(want)),
                 enveil::ErrorCode::kOk, name, "reference seal");

    // Seal: key and plaintext secret.
    Bytes skey = key, spt = plaintext, sealed(len + tag_bytes);
    poison(skey);
    poison(spt);
    check_status(seal(view(skey), view(nonce), view(spt), {view(aad)},
                      mview(sealed)),
                 enveil::ErrorCode::kOk, name, "seal status");
    check_tainted_then_declassify(sealed, name, "seal output carries the key's taint");
    check(sealed == want, name, "poisoned seal matches the reference");

    // Open, good tag: key and the received tag secret.
    Bytes okey = key, in = want, out(len);
    poison(okey);
    poison(in.data() + len, tag_bytes);
    check_status(open(view(okey), view(nonce), view(in), {view(aad)}, mview(out)),
                 enveil::ErrorCode::kOk, name, "open of a good message");
    check(len == 0 || tainted(out), name, "opened plaintext carries the key's taint");
    declassify(out);
    check(out == plaintext, name, "opened plaintext matches");

    // Open, tag with one bit flipped: the same path must reject.
    Bytes bad = want;
    bad[len] ^= 0x01;
    poison(bad.data() + len, tag_bytes);
    Bytes out2(len, 0xAA);
    check_status(open(view(okey), view(nonce), view(bad), {view(aad)}, mview(out2)),
                 enveil::ErrorCode::kAuthFailed, name, "open of a bad tag rejects");
    declassify(out2);
    check(out2 == Bytes(len, 0), name, "rejected output is wiped");
  }
}

void section_aes_gcm() {
  aead_section("aes-gcm",
               static_cast<SealFn>(&enveil::aes256gcm_seal),
               static_cast<OpenFn>(&enveil::aes256gcm_open),
               enveil::kAesGcmTagBytes);
}

// Each AES kernel by name (aes_ct64x2.h): ours (what native and WASM SIMD
// builds ship) and BearSSL's aes_ct64 driven by our GCM (the baseline WASM
// build's), whatever this build's default is.
template <enveil::AesKernel kKernel>
Status seal_with_kernel(ByteView key, ByteView nonce, ByteView plaintext,
                        std::initializer_list<ByteView> aad, MutableByteView out) {
  return enveil::aes256gcm_seal_with(kKernel, key, nonce, plaintext, aad, out);
}
template <enveil::AesKernel kKernel>
Status open_with_kernel(ByteView key, ByteView nonce, ByteView sealed,
                        std::initializer_list<ByteView> aad, MutableByteView out) {
  return enveil::aes256gcm_open_with(kKernel, key, nonce, sealed, aad, out);
}

void section_aes_gcm_kernels() {
  using enveil::AesKernel;
  aead_section("aes-gcm-ct64x2", &seal_with_kernel<AesKernel::kCt64x2>,
               &open_with_kernel<AesKernel::kCt64x2>, enveil::kAesGcmTagBytes);
  aead_section("aes-gcm-bearssl-ct64", &seal_with_kernel<AesKernel::kBearSslCt64>,
               &open_with_kernel<AesKernel::kBearSslCt64>, enveil::kAesGcmTagBytes);
}

// CTR straight through each kernel: key and data secret, every key size, a
// counter that wraps, lengths within a pass, across passes and ragged.
template <class Aes>
void aes_ctr_kernel(const char* name) {
  const Bytes iv = pattern(12, 0x66);
  for (size_t key_len : {size_t{16}, size_t{24}, size_t{32}}) {
    for (size_t len : {size_t{0}, size_t{5}, size_t{128}, size_t{300}}) {
      const Bytes key = pattern(key_len, 0x77), data = pattern(len, 0x88);
      Aes reference;
      reference.init(key.data(), key.size());
      Bytes want = data;
      enveil::aes_ctr_run(reference, iv.data(), 0xFFFFFFFEu, want.data(), want.size());

      Bytes skey = key, sdata = data;
      poison(skey);
      poison(sdata);
      Aes aes;
      aes.init(skey.data(), skey.size());
      const uint32_t next = enveil::aes_ctr_run(aes, iv.data(), 0xFFFFFFFEu, sdata.data(),
                                                sdata.size());
      check(next == 0xFFFFFFFEu + static_cast<uint32_t>(len / 16), name,
            "the returned counter is public and right");
      check(len == 0 || tainted(sdata), name, "key stream carries the key's taint");
      declassify(sdata);
      check(sdata == want, name, "poisoned CTR matches the reference");
      enveil::secure_wipe(&aes, sizeof aes);
      enveil::secure_wipe(&reference, sizeof reference);
    }
  }
}

void section_aes_ctr_kernels() {
  aes_ctr_kernel<enveil::AesCt64x2>("aes-ctr-ct64x2");
  aes_ctr_kernel<enveil::AesCt64>("aes-ctr-bearssl-ct64");
}

void section_chacha() {
  aead_section("chacha20-poly1305", &enveil::chacha20poly1305_seal,
               &enveil::chacha20poly1305_open, enveil::kChaChaPolyTagBytes);
}

// Each ChaCha20 kernel by name (chacha20_poly1305.h): ours, chacha20_x4 (what
// native and WASM SIMD builds ship), and BearSSL's chacha20_ct (the baseline
// WASM build's), through ChaCha20-Poly1305; then our raw key stream with key
// and data secret, a counter that wraps, lengths within a batch, across
// batches and ragged.
template <enveil::ChaChaKernel kKernel>
Status chacha_seal_with(ByteView key, ByteView nonce, ByteView plaintext,
                        std::initializer_list<ByteView> aad, MutableByteView out) {
  return enveil::chacha20poly1305_seal_with(kKernel, key, nonce, plaintext, aad, out);
}
template <enveil::ChaChaKernel kKernel>
Status chacha_open_with(ByteView key, ByteView nonce, ByteView sealed,
                        std::initializer_list<ByteView> aad, MutableByteView out) {
  return enveil::chacha20poly1305_open_with(kKernel, key, nonce, sealed, aad, out);
}

void section_chacha_kernels() {
  using enveil::ChaChaKernel;
  aead_section("chacha20-poly1305-x4", &chacha_seal_with<ChaChaKernel::kX4>,
               &chacha_open_with<ChaChaKernel::kX4>, enveil::kChaChaPolyTagBytes);
  aead_section("chacha20-poly1305-bearssl-ct",
               &chacha_seal_with<ChaChaKernel::kBearSslCt>,
               &chacha_open_with<ChaChaKernel::kBearSslCt>, enveil::kChaChaPolyTagBytes);

  const char* name = "chacha20-x4-stream";
  const Bytes iv = pattern(12, 0x99);
  for (size_t len : {size_t{0}, size_t{5}, size_t{256}, size_t{300}, size_t{700}}) {
    const Bytes key = pattern(32, 0xAB), data = pattern(len, 0xCD);
    Bytes want = data;
    enveil::chacha20_x4_run(key.data(), iv.data(), 0xFFFFFFFEu, want.data(), want.size());

    Bytes skey = key, sdata = data;
    poison(skey);
    poison(sdata);
    const uint32_t next = enveil::chacha20_x4_run(skey.data(), iv.data(), 0xFFFFFFFEu,
                                                  sdata.data(), sdata.size());
    check(next == 0xFFFFFFFEu + static_cast<uint32_t>((len + 63) / 64), name,
          "the returned counter is public and right");
    check(len == 0 || tainted(sdata), name, "key stream carries the key's taint");
    declassify(sdata);
    check(sdata == want, name, "poisoned key stream matches the reference");

    Bytes batch(enveil::kChaChaX4BatchBytes);
    enveil::chacha20_x4_keystream(skey.data(), iv.data(), 7, batch.data());
    check(tainted(batch), name, "key stream batch carries the key's taint");
  }
}

// record_seal / record_open for one suite: the data key (an HmacSha256Key
// built from poisoned bytes), the plaintext, and the commitment and tag of
// the record opened are secret.
void record_section(const char* name, uint8_t suite) {
  using enveil::kRecordCommitmentBytes;
  using enveil::kRecordCommitmentOffset;
  using enveil::kRecordOverheadBytes;
  using enveil::kRecordTagBytes;
  const Bytes key_bytes = pattern(32, 0x44);
  const Bytes context = ascii("users/42/email");
  for (size_t len : {size_t{0}, size_t{100}}) {
    const Bytes plaintext = pattern(len, 0x55);
    const enveil::HmacSha256Key public_key{view(key_bytes)};

    Bytes secret_bytes = key_bytes;
    poison(secret_bytes);
    const enveil::HmacSha256Key key{view(secret_bytes)};
    Bytes spt = plaintext;
    poison(spt);

    // Seal (random salt), then check it against a reference open.
    Bytes record(len + kRecordOverheadBytes);
    check_status(enveil::record_seal(key, 7, view(context), view(spt),
                                     mview(record), suite),
                 enveil::ErrorCode::kOk, name, "record_seal status");
    check_tainted_then_declassify(record, name, "record carries the key's taint");
    Bytes check_out(len);
    check_status(enveil::record_open(public_key, view(record), view(context),
                                     mview(check_out)),
                 enveil::ErrorCode::kOk, name, "reference open of the sealed record");
    check(check_out == plaintext, name, "reference open matches");

    // Open with the secret key; commitment and tag of the record secret.
    auto poison_checks = [&](Bytes& r) {
      poison(r.data() + kRecordCommitmentOffset, kRecordCommitmentBytes);
      poison(r.data() + r.size() - kRecordTagBytes, kRecordTagBytes);
    };
    Bytes in = record, out(len);
    poison_checks(in);
    check_status(enveil::record_open(key, view(in), view(context), mview(out)),
                 enveil::ErrorCode::kOk, name, "record_open of a good record");
    check(len == 0 || tainted(out), name, "opened plaintext carries the key's taint");
    declassify(out);
    check(out == plaintext, name, "record_open matches");

    // Bad commitment, then bad tag: both reject, output wiped.
    for (size_t flip : {kRecordCommitmentOffset + 5, record.size() - 1}) {
      Bytes bad = record;
      bad[flip] ^= 0x80;
      poison_checks(bad);
      Bytes out2(len, 0xAA);
      check_status(enveil::record_open(key, view(bad), view(context), mview(out2)),
                   enveil::ErrorCode::kAuthFailed, name,
                   "record_open of a bad commitment or tag rejects");
      declassify(out2);
      check(out2 == Bytes(len, 0), name, "rejected record output is wiped");
    }
  }
}

void section_record_aes() {
  record_section("record-aes", enveil::kSuiteAes256GcmCommitted);
}
void section_record_chacha() {
  record_section("record-chacha", enveil::kSuiteChaCha20Poly1305Committed);
}

void section_hmac() {
  const char* name = "hmac";
  const Bytes key = pattern(32, 0x66);
  const Bytes long_key = pattern(100, 0x67);  // > 64 bytes: hashed first
  const Bytes message = ascii("the quick brown fox");
  for (const Bytes* k : {&key, &long_key}) {
    Bytes want(32);
    check_status(enveil::hmac_sha256(view(*k), view(message), mview(want)),
                 enveil::ErrorCode::kOk, name, "reference sign");

    Bytes sk = *k, tag(32);
    poison(sk);
    check_status(enveil::hmac_sha256(view(sk), view(message), mview(tag)),
                 enveil::ErrorCode::kOk, name, "sign status");
    check_tainted_then_declassify(tag, name, "tag carries the key's taint");
    check(tag == want, name, "poisoned sign matches");

    // HmacSha256Key::mac with a secret message too.
    Bytes smsg = message, tag2(32);
    poison(smsg);
    enveil::HmacSha256Key(view(sk)).mac({view(smsg)}, tag2.data());
    check_tainted_then_declassify(tag2, name, "mac output carries the taint");
    check(tag2 == want, name, "HmacSha256Key::mac matches");

    // A secret message of several blocks in uneven parts: the buffered
    // path and whole blocks compressed straight from the input (sha256.cc).
    const Bytes long_msg = pattern(300, 0x68);
    Bytes long_want(32), slong = long_msg, tag3(32);
    check_status(enveil::hmac_sha256(view(*k), view(long_msg), mview(long_want)),
                 enveil::ErrorCode::kOk, name, "reference sign, 300 bytes");
    poison(slong);
    enveil::HmacSha256Key(view(sk)).mac(
        {ByteView(slong.data(), 5), ByteView(slong.data() + 5, 200),
         ByteView(slong.data() + 205, 95)},
        tag3.data());
    check_tainted_then_declassify(tag3, name, "multi-block mac carries the taint");
    check(tag3 == long_want, name, "multi-block mac in parts matches");

    // Verify: key and received tag secret; full and truncated tags.
    for (size_t n : {size_t{32}, size_t{16}}) {
      Bytes t(want.begin(), want.begin() + static_cast<long>(n));
      poison(t);
      check_status(enveil::hmac_sha256_verify(view(sk), view(message), view(t)),
                   enveil::ErrorCode::kOk, name, "verify of a good tag");
      Bytes bad(want.begin(), want.begin() + static_cast<long>(n));
      bad[n - 1] ^= 0x01;
      poison(bad);
      check_status(enveil::hmac_sha256_verify(view(sk), view(message), view(bad)),
                   enveil::ErrorCode::kAuthFailed, name, "verify of a bad tag rejects");
    }
  }
}

// SHA-256 itself (src/sha256.cc, ours): a secret message of every length
// around the block and padding boundaries, one-shot and in two parts, and
// the compression of several blocks in one call.
void section_sha256() {
  const char* name = "sha256";
  for (size_t len : {size_t{0}, size_t{3}, size_t{55}, size_t{56}, size_t{64},
                     size_t{119}, size_t{200}}) {
    const Bytes msg = pattern(len, static_cast<uint8_t>(len));
    Bytes want(enveil::kSha256Bytes);
    enveil::sha256(view(msg), want.data());
    Bytes smsg = msg, got(enveil::kSha256Bytes);
    poison(smsg);
    enveil::sha256(view(smsg), got.data());
    if (len) check_tainted_then_declassify(got, name, "digest carries the taint");
    check(got == want, name, "poisoned digest matches");
    enveil::Sha256 s;
    s.update(ByteView(smsg.data(), len / 3));
    s.update(ByteView(smsg.data() + len / 3, len - len / 3));
    s.finish(got.data());
    declassify(got);
    check(got == want, name, "digest in two parts matches");
  }
  Bytes blocks = pattern(4 * enveil::kSha256BlockBytes, 0x21);
  poison(blocks);
  enveil::Sha256State st = enveil::sha256_initial_state();
  enveil::sha256_compress(st.h, blocks.data(), 4);
  check(tainted(st.h, sizeof st.h), name, "compressed state carries the taint");
  declassify(st.h, sizeof st.h);
}

// HKDF-SHA256: input keying material and salt secret (the salt is an HMAC
// key, and callers may derive from secret salts); info public. Extract,
// Expand from a precomputed PRK over several blocks, and both at once.
void section_hkdf() {
  const char* name = "hkdf";
  const Bytes ikm = pattern(32, 0x12);
  const Bytes salt = pattern(16, 0x13);
  const Bytes info = ascii("enveil/ct/hkdf");
  for (size_t len : {size_t{32}, size_t{76}, size_t{100}}) {
    Bytes want(len);
    check_status(enveil::hkdf_sha256(view(ikm), view(salt), view(info), mview(want)),
                 enveil::ErrorCode::kOk, name, "reference hkdf");

    Bytes sikm = ikm, ssalt = salt, got(len);
    poison(sikm);
    poison(ssalt);
    check_status(enveil::hkdf_sha256(view(sikm), view(ssalt), view(info), mview(got)),
                 enveil::ErrorCode::kOk, name, "hkdf status");
    check_tainted_then_declassify(got, name, "hkdf output carries the taint");
    check(got == want, name, "hkdf matches the reference");

    // Extract alone, then Expand from the PRK kept as HMAC pads (as the
    // record and stream formats do with their data keys).
    Bytes prk(enveil::kHkdfSha256PrkBytes);
    check_status(enveil::hkdf_sha256_extract(view(ssalt), view(sikm), mview(prk)),
                 enveil::ErrorCode::kOk, name, "extract status");
    check(tainted(prk), name, "PRK carries the taint");
    const enveil::HmacSha256Key prk_key{view(prk)};
    Bytes expanded(len);
    check_status(enveil::hkdf_sha256_expand(prk_key, {view(info)}, mview(expanded)),
                 enveil::ErrorCode::kOk, name, "expand status");
    check_tainted_then_declassify(expanded, name, "expand output carries the taint");
    check(expanded == want, name, "extract then expand matches");
  }
}

// Key wrapping: the KEK and the wrapped key secret, and on unwrap the
// record's commitment and tag. wrap_key/unwrap_key directly (hazmat
// wrapKey, the secret-holding providers) and Keyring::wrap_secret /
// unwrap_secret under a keyring whose KEK is secret.
void section_wrap_secret() {
  const char* name = "wrap-secret";
  using enveil::kRecordCommitmentBytes;
  using enveil::kRecordCommitmentOffset;
  using enveil::kRecordTagBytes;
  using enveil::kWrappedKeyBytes;
  const Bytes kek = pattern(32, 0x21);
  const Bytes key = pattern(32, 0x23);
  const Bytes context = ascii("enveil/ct/wrap");
  const enveil::HmacSha256Key public_kek{view(kek)};
  Bytes skek_bytes = kek;
  poison(skek_bytes);
  const enveil::HmacSha256Key skek{view(skek_bytes)};
  auto poison_checks = [](Bytes& w) {
    poison(w.data() + kRecordCommitmentOffset, kRecordCommitmentBytes);
    poison(w.data() + w.size() - kRecordTagBytes, kRecordTagBytes);
  };

  // wrap_key / unwrap_key.
  Bytes skey = key, wrapped(kWrappedKeyBytes);
  poison(skey);
  check_status(enveil::wrap_key(skek, view(context), view(skey), mview(wrapped)),
               enveil::ErrorCode::kOk, name, "wrap_key status");
  check_tainted_then_declassify(wrapped, name, "wrapped key carries the taint");
  Bytes ref(32);
  check_status(enveil::unwrap_key(public_kek, view(context), view(wrapped), mview(ref)),
               enveil::ErrorCode::kOk, name, "reference unwrap");
  check(ref == key, name, "reference unwrap matches");
  Bytes in = wrapped, out(32);
  poison_checks(in);
  check_status(enveil::unwrap_key(skek, view(context), view(in), mview(out)),
               enveil::ErrorCode::kOk, name, "unwrap_key of a good key");
  check_tainted_then_declassify(out, name, "unwrapped key carries the taint");
  check(out == key, name, "unwrap_key matches");
  for (size_t flip : {kRecordCommitmentOffset + 3, wrapped.size() - 1}) {
    Bytes bad = wrapped;
    bad[flip] ^= 0x04;
    poison_checks(bad);
    Bytes out2(32, 0xAA);
    check_status(enveil::unwrap_key(skek, view(context), view(bad), mview(out2)),
                 enveil::ErrorCode::kKeyUnavailable, name,
                 "unwrap_key of a bad commitment or tag rejects");
    declassify(out2);
    check(out2 == Bytes(32, 0), name, "rejected unwrap output is wiped");
  }

  // Keyring::wrap_secret / unwrap_secret under a secret KEK.
  auto made = enveil::Keyring::create(view(kek), "app", "kek-1");
  auto made_secret = enveil::Keyring::create(view(skek_bytes), "app", "kek-1");
  check(made.ok() && made_secret.ok(), name, "create the keyrings");
  if (!made.ok() || !made_secret.ok()) return;
  const enveil::Keyring& reference = made.value();
  const enveil::Keyring& ring = made_secret.value();
  const Bytes secret_context = ascii("recovery");
  Bytes sealed(kWrappedKeyBytes);
  check_status(ring.wrap_secret(view(secret_context), view(skey), mview(sealed)),
               enveil::ErrorCode::kOk, name, "wrap_secret status");
  check_tainted_then_declassify(sealed, name, "wrapped secret carries the taint");
  Bytes ref2(32);
  check_status(reference.unwrap_secret(view(secret_context), view(sealed), mview(ref2)),
               enveil::ErrorCode::kOk, name, "reference unwrap_secret");
  check(ref2 == key, name, "reference unwrap_secret matches");
  Bytes in2 = sealed, out3(32);
  poison_checks(in2);
  check_status(ring.unwrap_secret(view(secret_context), view(in2), mview(out3)),
               enveil::ErrorCode::kOk, name, "unwrap_secret of a good secret");
  check_tainted_then_declassify(out3, name, "unwrapped secret carries the taint");
  check(out3 == key, name, "unwrap_secret matches");
  Bytes bad = sealed;
  bad[bad.size() - 2] ^= 0x40;
  poison_checks(bad);
  Bytes out4(32, 0xAA);
  check_status(ring.unwrap_secret(view(secret_context), view(bad), mview(out4)),
               enveil::ErrorCode::kKeyUnavailable, name, "unwrap_secret of a bad tag rejects");
  declassify(out4);
  check(out4 == Bytes(32, 0), name, "rejected unwrap_secret output is wiped");
}

// The stream format: master key, data key, stream key and plaintext secret;
// on open, the header's commitment, the wrapped key's commitment and tag,
// and each chunk's tag. The header layout (sizes, key id, context, file id)
// is public and parsed in the clear. A reference run with public inputs
// gives the expected bytes (the seal is deterministic given the data key
// and file id, except the wrapped key's salt).
void section_stream() {
  const char* name = "stream";
  using enveil::kRecordCommitmentBytes;
  using enveil::kRecordCommitmentOffset;
  using enveil::kRecordTagBytes;
  using enveil::kStreamCommitmentBytes;
  using enveil::kStreamKeyBytes;
  using enveil::kStreamTagBytes;
  using enveil::kWrappedKeyBytes;
  const Bytes master = pattern(32, 0x31);
  const Bytes data_key = pattern(32, 0x32);
  const Bytes file_id = pattern(16, 0x33);
  const Bytes key_id = ascii("k1");
  const Bytes new_key_id = ascii("k2");
  const Bytes context = ascii("env:DATABASE_URL");
  constexpr uint32_t kChunk = 64;
  const size_t header_bytes = enveil::stream_header_bytes(context.size(), key_id.size());
  const size_t immutable_bytes = enveil::stream_immutable_bytes(context.size());
  const size_t wrapped_at = header_bytes - kWrappedKeyBytes;
  // Two chunks: one full, one final of 10 bytes.
  const Bytes plaintext = pattern(kChunk + 10, 0x34);
  const Bytes parts[2] = {Bytes(plaintext.begin(), plaintext.begin() + kChunk),
                          Bytes(plaintext.begin() + kChunk, plaintext.end())};

  // Reference run, every input public.
  Bytes ref_header(header_bytes), ref_key(kStreamKeyBytes);
  check_status(enveil::stream_seal_begin_with(view(master), view(key_id), view(context),
                                              kChunk, view(data_key), view(file_id),
                                              mview(ref_header), mview(ref_key)),
               enveil::ErrorCode::kOk, name, "reference seal_begin");
  Bytes ref_chunks[2];
  for (int i = 0; i < 2; ++i) {
    ref_chunks[i].resize(parts[i].size() + kStreamTagBytes);
    check_status(enveil::stream_seal_chunk(view(ref_key), view(ref_header), i, i == 1,
                                           view(parts[i]), mview(ref_chunks[i])),
                 enveil::ErrorCode::kOk, name, "reference seal_chunk");
  }

  // Seal with the master key, data key and plaintext secret.
  Bytes smaster = master, sdek = data_key;
  poison(smaster);
  poison(sdek);
  Bytes header(header_bytes), skey(kStreamKeyBytes);
  check_status(enveil::stream_seal_begin_with(view(smaster), view(key_id), view(context),
                                              kChunk, view(sdek), view(file_id),
                                              mview(header), mview(skey)),
               enveil::ErrorCode::kOk, name, "seal_begin status");
  check(tainted(skey), name, "stream key carries the taint");
  check_tainted_then_declassify(header, name, "header (commitment, wrapped key) carries the taint");
  check(Bytes(header.begin(), header.begin() + static_cast<long>(immutable_bytes)) ==
            Bytes(ref_header.begin(), ref_header.begin() + static_cast<long>(immutable_bytes)),
        name, "immutable part (commitment) matches the reference");
  for (int i = 0; i < 2; ++i) {
    Bytes spt = parts[i], sealed(parts[i].size() + kStreamTagBytes);
    poison(spt);
    check_status(enveil::stream_seal_chunk(view(skey), view(header), i, i == 1, view(spt),
                                           mview(sealed)),
                 enveil::ErrorCode::kOk, name, "seal_chunk status");
    check_tainted_then_declassify(sealed, name, "sealed chunk carries the taint");
    check(sealed == ref_chunks[i], name, "sealed chunk matches the reference");
  }

  // Open: the header's commitment and the wrapped key's commitment and tag
  // are received secrets, checked in constant time.
  auto poison_header_checks = [&](Bytes& h) {
    poison(h.data() + immutable_bytes - kStreamCommitmentBytes, kStreamCommitmentBytes);
    poison(h.data() + wrapped_at + kRecordCommitmentOffset, kRecordCommitmentBytes);
    poison(h.data() + h.size() - kRecordTagBytes, kRecordTagBytes);
  };
  Bytes h_in = header, okey(kStreamKeyBytes);
  poison_header_checks(h_in);
  check_status(enveil::stream_open_begin(view(smaster), view(key_id), view(h_in), mview(okey)),
               enveil::ErrorCode::kOk, name, "open_begin of a good header");
  check(tainted(okey), name, "opened stream key carries the taint");
  Bytes okey_copy = okey;
  declassify(okey_copy);
  check(okey_copy == ref_key, name, "opened stream key matches the reference");
  for (int i = 0; i < 2; ++i) {
    Bytes in = ref_chunks[i], out(parts[i].size());
    poison(in.data() + in.size() - kStreamTagBytes, kStreamTagBytes);
    check_status(enveil::stream_open_chunk(view(okey), view(header), i, i == 1, view(in),
                                           mview(out)),
                 enveil::ErrorCode::kOk, name, "open_chunk of a good chunk");
    check_tainted_then_declassify(out, name, "opened chunk carries the taint");
    check(out == parts[i], name, "open_chunk matches");
    Bytes bad = ref_chunks[i];
    bad[bad.size() - 1] ^= 0x02;
    poison(bad.data() + bad.size() - kStreamTagBytes, kStreamTagBytes);
    Bytes out2(parts[i].size(), 0xAA);
    check_status(enveil::stream_open_chunk(view(okey), view(header), i, i == 1, view(bad),
                                           mview(out2)),
                 enveil::ErrorCode::kAuthFailed, name, "open_chunk of a bad tag rejects");
    declassify(out2);
    check(out2 == Bytes(parts[i].size(), 0), name, "rejected chunk output is wiped");
  }
  // A header whose commitment, or whose wrapped key, was changed: rejected.
  for (size_t flip : {immutable_bytes - 1, header.size() - 1}) {
    Bytes bad = header, out(kStreamKeyBytes, 0xAA);
    bad[flip] ^= 0x08;
    poison_header_checks(bad);
    check_status(enveil::stream_open_begin(view(smaster), view(key_id), view(bad), mview(out)),
                 enveil::ErrorCode::kAuthFailed, name, "open_begin of a changed header rejects");
    declassify(out);
    check(out == Bytes(kStreamKeyBytes, 0), name, "rejected stream key is wiped");
  }

  // Rotation: old and new master keys secret; the data key never leaves.
  Bytes snew = pattern(32, 0x35);
  poison(snew);
  Bytes rotated(enveil::stream_header_bytes(context.size(), new_key_id.size()));
  Bytes r_in = header;
  poison_header_checks(r_in);
  check_status(enveil::stream_rewrap_header(view(smaster), view(key_id), view(snew),
                                            view(new_key_id), view(r_in), mview(rotated)),
               enveil::ErrorCode::kOk, name, "rewrap_header status");
  declassify(rotated);  // a header is published
  Bytes public_new = pattern(32, 0x35), rkey(kStreamKeyBytes);
  check_status(enveil::stream_open_begin(view(public_new), view(new_key_id), view(rotated),
                                         mview(rkey)),
               enveil::ErrorCode::kOk, name, "reference open of the rotated header");
  check(rkey == ref_key, name, "rotated header opens to the same stream key");
}

struct BlindCase {
  const char* value;
  enveil::Normalization mode;
  unsigned bits;
};

// The index key is secret because the keyring's KEK is: the entry is
// imported (unwrapped under the poisoned KEK), so the unwrapped key, and the
// HMAC pads built from it, carry the poison. Data keys likewise.
void keyring_section(const char* name, const std::vector<BlindCase>& cases,
                     bool ascii_only) {
  using enveil::KeyKind;
  using enveil::KeyStatus;
  using enveil::Keyring;
  const Bytes kek = pattern(32, 0x77);

  // A public keyring makes the entries and the reference answers.
  auto made = Keyring::create(view(kek), "app", "kek-1");
  check(made.ok(), name, "create the reference keyring");
  Keyring& reference = made.value();
  check(reference.rotate(KeyKind::kIndex, "users/email", 1).ok(), name,
        "rotate an index key");
  check(reference.rotate(KeyKind::kData, "users", 2).ok(), name,
        "rotate a data key");

  Bytes secret_kek = kek;
  poison(secret_kek);
  auto made_secret = Keyring::create(view(secret_kek), "app", "kek-1");
  check(made_secret.ok(), name, "create the poisoned keyring");
  Keyring& ring = made_secret.value();
  for (size_t i = 0; i < reference.size(); ++i) {
    const enveil::KeyEntryInfo& e = reference.entry(i);
    check_status(ring.import_entry(e.id, e.kind, e.scope, e.status,
                                   e.created_at_ms, view(e.wrapped)),
                 enveil::ErrorCode::kOk, name, "import under the poisoned KEK");
  }

  for (const BlindCase& c : cases) {
    const Bytes value = ascii(c.value);
    auto want = reference.blind_index("users", "email", view(value), c.mode, c.bits);
    check(want.ok(), name, "reference blind index");
    Bytes secret_value = value;
    if (ascii_only) {
      poison_ascii_content(secret_value.data(), secret_value.size());
    } else {
      poison(secret_value);
    }
    auto got = ring.blind_index("users", "email", view(secret_value), c.mode, c.bits);
    check(got.ok(), name, "blind index status");
    if (!got.ok() || !want.ok()) continue;
    // Only the hex digits carry the key's taint (the "<id>:" prefix is public).
    check(tainted(got.value()), name,
          "blind index carries the key's taint (a secret-indexed table "
          "lookup, reported above, would launder it)");
    declassify(got.value());  // a blind index is stored in the clear
    check(got.value() == want.value(), name, "blind index matches the reference");
  }

  if (!ascii_only) {
    // Data keys unwrapped under the poisoned KEK: encrypt and decrypt.
    const Bytes context = ascii("users/1/name");
    Bytes pt = pattern(40, 0x88), record(40 + enveil::kRecordOverheadBytes);
    poison(pt);
    check_status(ring.encrypt("users", view(context), view(pt), mview(record)),
                 enveil::ErrorCode::kOk, name, "keyring encrypt");
    check_tainted_then_declassify(record, name, "keyring record carries the taint");
    Bytes out(40);
    poison(record.data() + enveil::kRecordCommitmentOffset,
           enveil::kRecordCommitmentBytes);
    poison(record.data() + record.size() - enveil::kRecordTagBytes,
           enveil::kRecordTagBytes);
    check_status(ring.decrypt(view(record), view(context), mview(out)),
                 enveil::ErrorCode::kOk, name, "keyring decrypt");
    declassify(out);
    check(out == pattern(40, 0x88), name, "keyring decrypt matches");
  }
}

void section_blind_index() {
  // Whole bytes secret, no normalisation: HMAC and hex encoding only.
  keyring_section("blind-index",
                  {{"alice@example.com", enveil::Normalization::kNone, 32},
                   {"alice@example.com", enveil::Normalization::kNone, 256},
                   {"bob", enveil::Normalization::kNone, 13}},
                  /*ascii_only=*/false);
}

void section_blind_index_lower() {
  // ASCII values, content secret: Unicode simple lowercase.
  keyring_section("blind-index-lower",
                  {{"Alice@Example.COM", enveil::Normalization::kLowercase, 32},
                   {"alice@example.com", enveil::Normalization::kLowercase, 64}},
                  /*ascii_only=*/true);
}

// Informational: variable-time by design, run to show where.
void section_blind_index_trim() {
  // Trimming decides, per byte, whether it is White_Space, and the
  // normalised length depends on how many were trimmed.
  keyring_section("blind-index-trim",
                  {{"  Alice@Example.COM ", enveil::Normalization::kTrimLowercase, 32}},
                  /*ascii_only=*/true);
}

void section_blind_index_digits() {
  // kDigits keeps the bytes '0'..'9': which bytes are digits, and how many,
  // decide the normalised value's length.
  keyring_section("blind-index-digits",
                  {{"+1 (555) 010-9999", enveil::Normalization::kDigits, 32}},
                  /*ascii_only=*/true);
}

void section_ct_equal() {
  const char* name = "ct-equal";
  for (size_t n : {size_t{1}, size_t{16}, size_t{32}, size_t{33}}) {
    Bytes a = pattern(n, 0x99), b = a, c = a;
    c[n - 1] ^= 0x40;
    poison(a);
    poison(b);
    poison(c);
    bool same = enveil::ct_equal(view(a), view(b));
    bool differ = enveil::ct_equal(view(a), view(c));
    declassify_value(same);
    declassify_value(differ);
    check(same, name, "equal inputs compare equal");
    check(!differ, name, "inputs differing in the last byte compare unequal");
  }
}

// ---- the leaky comparison (must fail) --------------------------------------

// The classic mistake: memcmp-style early exit on the first differing byte.
// noinline, and volatile reads, so the compiler keeps the branch per byte.
__attribute__((noinline)) bool leaky_equal(const uint8_t* a, const uint8_t* b,
                                           size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (static_cast<const volatile uint8_t*>(a)[i] !=
        static_cast<const volatile uint8_t*>(b)[i]) {
      return false;
    }
  }
  return true;
}

int run_leaky() {
  // The expected tag of a GCM seal under a secret key, against a received
  // tag that is itself secret: compared leakily.
  Bytes key = pattern(32, 0x11);
  const Bytes nonce = pattern(12, 0x22);
  const Bytes pt = pattern(20, 0x33);
  Bytes sealed(pt.size() + enveil::kAesGcmTagBytes);
  poison(key);
  Status st = enveil::aes256gcm_seal(view(key), view(nonce), view(pt),
                                     ByteView(), mview(sealed));
  declassify_value(st);
  Bytes expected(sealed.end() - enveil::kAesGcmTagBytes, sealed.end());
  Bytes received = expected;
  received[15] ^= 0x01;
  poison(received);
  bool equal = leaky_equal(expected.data(), received.data(), expected.size());
  declassify_value(equal);
  std::printf("ct_check: leaky comparison ran (equal=%d); valgrind must have "
              "reported it above\n",
              equal ? 1 : 0);
  return st.ok() ? 0 : 1;
}

struct Section {
  const char* name;
  void (*run)();
  // false: variable-time by design; scripts/test-ct.sh runs it and shows
  // what valgrind reports, without failing on it.
  bool required;
};

const Section kSections[] = {
    {"aes-gcm", section_aes_gcm, true},
    {"aes-gcm-kernels", section_aes_gcm_kernels, true},
    {"aes-ctr-kernels", section_aes_ctr_kernels, true},
    {"chacha20-poly1305", section_chacha, true},
    {"chacha20-kernels", section_chacha_kernels, true},
    {"record-aes", section_record_aes, true},
    {"record-chacha", section_record_chacha, true},
    {"sha256", section_sha256, true},
    {"hmac", section_hmac, true},
    {"hkdf", section_hkdf, true},
    {"wrap-secret", section_wrap_secret, true},
    {"stream", section_stream, true},
    {"blind-index", section_blind_index, true},
    {"blind-index-lower", section_blind_index_lower, true},
    {"ct-equal", section_ct_equal, true},
    {"blind-index-trim", section_blind_index_trim, false},
    {"blind-index-digits", section_blind_index_digits, false},
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--list") {
    for (const Section& s : kSections) {
      std::printf("%s %s\n", s.name, s.required ? "required" : "info");
    }
    return 0;
  }
  if (!RUNNING_ON_VALGRIND) {
    // Without valgrind the client requests do nothing and nothing is checked.
    std::fprintf(stderr,
                 "ct_check: run me under valgrind: valgrind --error-exitcode=1 "
                 "--track-origins=yes %s [--leaky | SECTION...]\n",
                 argv[0]);
    return 2;
  }
  if (!args.empty() && args[0] == "--leaky") return run_leaky();

  int ran = 0;
  for (const Section& s : kSections) {
    bool wanted = args.empty();
    for (std::string_view a : args) wanted = wanted || a == s.name;
    if (!wanted) continue;
    const int before = g_failures;
    s.run();
    std::printf("ct_check: %-18s ran (%s)\n", s.name,
                g_failures == before ? "functional checks ok" : "FUNCTIONAL FAILURES");
    ++ran;
  }
  if (ran == 0 || static_cast<size_t>(ran) < args.size()) {
    std::fprintf(stderr, "ct_check: unknown section; --list shows them\n");
    return 2;
  }
  return g_failures ? 1 : 0;
}
