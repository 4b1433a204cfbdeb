// Shared by the libFuzzer targets and the seed generator: the invariant check,
// a byte reader/writer for the structured input formats, the byte edits the
// mutations are made of, the fixed keys and contexts, and an independent
// UTF-8 validator. What only fuzz_stream_open reads is in stream_*.h.
//
// Every format is read front to back by Reader; a read past the end yields
// zeros (or a shorter byte run), so every input is valid for every target.
#ifndef ENVEIL_FUZZ_COMMON_H_
#define ENVEIL_FUZZ_COMMON_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bytes.h"
#include "hmac.h"
#include "status.h"

// An invariant violation: libFuzzer reports the trap as a crash and keeps the
// input. Never compiled out.
#define FUZZ_CHECK(cond)              \
  do {                                \
    if (!(cond)) __builtin_trap();    \
  } while (0)

namespace enveil_fuzz {

using Bytes = std::vector<uint8_t>;
using enveil::ByteView;
using enveil::ErrorCode;
using enveil::HmacSha256Key;
using enveil::MutableByteView;
using enveil::Status;

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  explicit Reader(ByteView v) : Reader(v.data(), v.size()) {}

  size_t remaining() const { return size_ - pos_; }
  bool empty() const { return pos_ >= size_; }

  uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t u16() {
    const uint16_t hi = u8();
    return static_cast<uint16_t>((hi << 8) | u8());
  }
  uint32_t u32() {
    const uint32_t hi = u16();
    return (hi << 16) | u16();
  }
  // Up to `n` bytes (fewer at the end of the input).
  ByteView bytes(size_t n) {
    n = std::min(n, remaining());
    ByteView v(data_ + pos_, n);
    pos_ += n;
    return v;
  }
  ByteView rest() { return bytes(remaining()); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

class Writer {
 public:
  Writer& u8(uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  Writer& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Writer& u32(uint32_t v) {
    return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v));
  }
  Writer& bytes(ByteView v) {
    out_.insert(out_.end(), v.begin(), v.end());
    return *this;
  }
  Writer& bytes(std::string_view s) {
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
  }
  // u8 length then the bytes (callers keep them under 256).
  Writer& lp8(ByteView v) { return u8(static_cast<uint8_t>(v.size())).bytes(v); }
  Writer& lp8(std::string_view s) {
    return u8(static_cast<uint8_t>(s.size())).bytes(s);
  }
  Writer& lp16(ByteView v) { return u16(static_cast<uint16_t>(v.size())).bytes(v); }
  const Bytes& data() const { return out_; }

 private:
  Bytes out_;
};

inline ByteView bv(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline ByteView bv(const Bytes& b) { return ByteView(b.data(), b.size()); }
inline std::string_view sv(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
inline bool equal(ByteView a, ByteView b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}
inline bool all_zero(ByteView b) {
  for (uint8_t x : b) {
    if (x != 0) return false;
  }
  return true;
}
inline bool is_code(Status s, std::initializer_list<ErrorCode> codes) {
  for (ErrorCode c : codes) {
    if (s.code() == c) return true;
  }
  return false;
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
// U+10FFFF. Written independently of src/blind_index.cc on purpose.
inline bool valid_utf8(ByteView s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b = s[i];
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (b <= 0x7F) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      n = 1;
    } else if (b == 0xE0) {
      n = 2, lo = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      n = 2;
    } else if (b == 0xED) {
      n = 2, hi = 0x9F;
    } else if (b == 0xF0) {
      n = 3, lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      n = 3;
    } else if (b == 0xF4) {
      n = 3, hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (size_t k = 2; k <= n; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

inline bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

inline std::string to_hex(ByteView b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += kHex[x >> 4];
    s += kHex[x & 0x0F];
  }
  return s;
}

// ---- Byte edits: the mutations of fuzz_record_open and fuzz_stream_open ----
// A position is taken modulo the size, so that every edit applies to any
// bytes; on empty bytes only truncate and insert do something.

inline void edit_xor(Bytes& b, size_t pos, uint8_t value) {  // 0 flips bit 0
  if (!b.empty()) b[pos % b.size()] ^= value ? value : 1;
}
inline void edit_set(Bytes& b, size_t pos, uint8_t value) {
  if (!b.empty()) b[pos % b.size()] = value;
}
inline void edit_truncate(Bytes& b, size_t pos) { b.resize(pos % (b.size() + 1)); }
inline void edit_insert(Bytes& b, size_t pos, uint8_t value) {
  b.insert(b.begin() + static_cast<long>(pos % (b.size() + 1)), value);
}
inline void edit_erase(Bytes& b, size_t pos) {
  if (!b.empty()) b.erase(b.begin() + static_cast<long>(pos % b.size()));
}
inline void edit_swap(Bytes& b, size_t pos, size_t other) {
  if (!b.empty()) std::swap(b[pos % b.size()], b[other % b.size()]);
}

// ---- Fixed material (shared with make_seeds.cc) ----------------------------

// One of the fixed 32-byte keys below as an HMAC key, expanded once.
template <const uint8_t (&kKey)[32]>
const HmacSha256Key& fixed_hmac_key() {
  static const HmacSha256Key key{ByteView(kKey)};
  return key;
}

// fuzz_record_open: the record key, a second key, the context.
inline constexpr uint8_t kRecordKey[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
inline constexpr uint8_t kOtherRecordKey[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
    0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
    0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1e};
inline constexpr std::string_view kRecordContext = "enveil/fuzz/contacts/42/email";
// Input byte 0 of fuzz_record_open: even = raw record, odd = structured.
inline constexpr uint8_t kRecordModeRaw = 0x00;
inline constexpr uint8_t kRecordModeStructured = 0x01;
// Structured mode: one mutation = op, u16 position, value.
enum RecordMutation : uint8_t {
  kMutXor = 0,       // record[pos] ^= value (0 means 1)
  kMutTruncate = 1,  // keep pos % (size + 1) bytes
  kMutInsert = 2,    // insert value at pos % (size + 1)
  kMutErase = 3,     // erase record[pos]
  kMutAppend = 4,    // append value
  kMutSet = 5,       // record[pos] = value (may be a no-op)
  kMutSwap = 6,      // swap record[pos] and record[value]
  kMutCount = 7,
};

// fuzz_keyring_import: the KEK the keyring is built with, a second KEK for
// rewrap, the store and KEK id bound into every wrap.
inline constexpr uint8_t kKek[32] = {
    0x4b, 0x45, 0x4b, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x30, 0x31,
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    0xcc, 0xdd, 0xee, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60};
inline constexpr uint8_t kKek2[32] = {
    0x4b, 0x45, 0x4b, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x30, 0x32,
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    0xcc, 0xdd, 0xee, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x61};
inline constexpr std::string_view kStore = "fuzz-store";
inline constexpr std::string_view kKekId = "kek-1";
// Input byte 0: bit 0 selects the keyring's suite. Then a list of ops, each
// an op byte (mod kOpCount) and its operands (see fuzz_keyring_import.cc).
enum KeyringOp : uint8_t {
  kOpImport = 0,     // u32 id, u8 kind, u8 status, u8 created, lp8 scope, lp8 wrapped
  kOpEncrypt = 1,    // u8 sel [lp8 scope if sel & 0x80], lp8 context, lp8 plaintext
  kOpDecrypt = 2,    // lp16 record, lp8 context
  kOpTamper = 3,     // u8 which, u16 pos, u8 xor
  kOpBlindIndex = 4, // u8 sel [lp8 scope, lp8 field if sel & 0x80], u8 mode,
                     // u16 bits, u8 keysel [u32 id if keysel % 3 == 2], lp8 value
  kOpRewrap = 5,     // u8 kek_sel [32 bytes or lp8 kek], u16 id_len, id bytes
  kOpStatus = 6,     // u8 sub, u8 sel, u8 status
  kOpRotate = 7,     // u8 kind, u8 sel [lp8 scope if sel & 0x80], u8 created
  kOpReimport = 8,   // (none)
  kOpSecret = 9,     // lp8 context, lp8 secret, u16 flip
  kOpDestroy = 10,   // (none)
  kOpCount = 11,
};
inline constexpr size_t kMaxKeyringEntries = 24;

// fuzz_blind_index: the index key.
inline constexpr uint8_t kIndexKey[32] = {
    0x69, 0x64, 0x78, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0xa0, 0xa1, 0xa2,
    0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad,
    0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7};

// fuzz_stream_open: the master key streams are sealed under and its id, the
// same id's impostor key, the rotation target and its id, a fixed stream key
// (payload key ‖ nonce prefix) that no header derives, the data key of the
// streams the structured mode seals.
inline constexpr uint8_t kStreamMaster[32] = {
    0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x2d, 0x6d, 0x6b, 0x2d, 0x31,
    0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab,
    0xbc, 0xcd, 0xde, 0xef, 0xf0, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b};
inline constexpr uint8_t kStreamOtherMaster[32] = {
    0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x2d, 0x6d, 0x6b, 0x2d, 0x31,
    0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab,
    0xbc, 0xcd, 0xde, 0xef, 0xf0, 0x0f, 0x1e, 0x2d, 0x3c, 0x4a};
inline constexpr uint8_t kStreamMaster2[32] = {
    0x73, 0x74, 0x72, 0x65, 0x61, 0x6d, 0x2d, 0x6d, 0x6b, 0x2d, 0x32,
    0xf1, 0xe2, 0xd3, 0xc4, 0xb5, 0xa6, 0x97, 0x88, 0x79, 0x6a, 0x5b,
    0x4c, 0x3d, 0x2e, 0x1f, 0x00, 0x10, 0x20, 0x30, 0x40, 0x50};
inline constexpr std::string_view kStreamKeyId = "fuzz-master_1";
inline constexpr std::string_view kStreamKeyId2 = "Fuzz.master.2";
inline constexpr uint8_t kStreamFixedKey[39] = {
    0x66, 0x69, 0x78, 0x65, 0x64, 0x2d, 0x73, 0x6b, 0x01, 0x02, 0x03,
    0x05, 0x08, 0x0d, 0x15, 0x22, 0x37, 0x59, 0x90, 0xe9, 0x79, 0x62,
    0xdb, 0x3d, 0x18, 0x55, 0x6d, 0xc2, 0x2f, 0xf1, 0x20, 0x11,
    0x6e, 0x6f, 0x6e, 0x63, 0x65, 0x70, 0x72};
inline constexpr uint8_t kStreamDataKey[32] = {
    0x64, 0x65, 0x6b, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x09, 0x19, 0x29,
    0x39, 0x49, 0x59, 0x69, 0x79, 0x89, 0x99, 0xa9, 0xb9, 0xc9, 0xd9,
    0xe9, 0xf9, 0x08, 0x18, 0x28, 0x38, 0x48, 0x58, 0x68, 0x78};

// `len` bytes of data for a kernel: the rest of the input repeated, or with
// `expand` (or nothing left) a xorshift stream from a 16-bit seed, so that
// short fuzz inputs still reach long messages.
inline Bytes make_data(Reader& in, size_t len, bool expand) {
  Bytes data(len);
  const ByteView rest = in.rest();
  if (expand || rest.empty()) {
    uint32_t x = 0x9E3779B9u ^ (rest.size() >= 2 ? (rest[0] << 8 | rest[1]) : 0);
    for (auto& b : data) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      b = static_cast<uint8_t>(x >> 24);
    }
  } else {
    for (size_t i = 0; i < len; ++i) data[i] = rest[i % rest.size()];
  }
  return data;
}

// One AEAD kernel against its oracle's `want` (ciphertext ‖ tag): sealing
// `plaintext` with the AAD in three parts (split at a <= b), in place or not,
// gives exactly `want`; it opens (in place or not) to the plaintext; and one
// changed byte is AUTH_FAILED with the output wiped. `seal` and `open` call
// the kernel: (ByteView in, std::initializer_list<ByteView> aad,
// MutableByteView out) -> Status.
template <typename Seal, typename Open>
void check_aead_kernel(Seal seal, Open open, size_t tag_bytes, const Bytes& plaintext,
                       ByteView aad, size_t a, size_t b, bool in_place, const Bytes& want,
                       size_t tamper_at, uint8_t tamper_mask) {
  const std::initializer_list<ByteView> parts = {aad.first(a), aad.subspan(a, b - a),
                                                 aad.subspan(b)};
  const size_t len = plaintext.size();
  Bytes sealed(len + tag_bytes);
  if (in_place) {
    if (len) std::memcpy(sealed.data(), plaintext.data(), len);
    FUZZ_CHECK(seal(ByteView(sealed.data(), len), parts, MutableByteView(sealed)).ok());
  } else {
    FUZZ_CHECK(seal(ByteView(plaintext), parts, MutableByteView(sealed)).ok());
  }
  FUZZ_CHECK(sealed == want);

  Bytes opened(len);
  if (in_place) {
    Bytes buf = sealed;
    FUZZ_CHECK(open(ByteView(buf), parts, MutableByteView(buf.data(), len)).ok());
    FUZZ_CHECK(equal(ByteView(buf.data(), len), plaintext));
  } else {
    FUZZ_CHECK(open(ByteView(sealed), parts, MutableByteView(opened)).ok());
    FUZZ_CHECK(opened == plaintext);
  }

  Bytes tampered = sealed;
  tampered[tamper_at % tampered.size()] ^= tamper_mask ? tamper_mask : 1;
  Bytes rejected(len, 0xA5);
  FUZZ_CHECK(open(ByteView(tampered), parts, MutableByteView(rejected)).code() ==
             ErrorCode::kAuthFailed);
  FUZZ_CHECK(all_zero(rejected));
}

}  // namespace enveil_fuzz

#endif  // ENVEIL_FUZZ_COMMON_H_
