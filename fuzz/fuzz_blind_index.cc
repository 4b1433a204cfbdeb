// Blind-index input: normalize_value() and blind_index_hex() on arbitrary
// bytes, with every Normalization mode (and the raw mode byte, which may be
// unknown) and bit counts from the input.
//
// Input: u8 mode, u16 bits, then the value.
// Invariants:
//   - an unknown mode, or invalid UTF-8 under a lowercase mode, is
//     kInvalidArgument and nothing else; kNone and kDigits accept any bytes;
//   - kNone is the identity; kDigits keeps exactly the ASCII digits;
//   - the lowercase modes give valid UTF-8 of the same code point count
//     (lowercase) and at most twice the bytes, and normalizing twice equals
//     once (lowercase, trim-lowercase, digits); trim-lowercase has no
//     leading or trailing White_Space and equals lowercase then trim;
//   - blind_index_hex: bits outside [8, 256] are kInvalidArgument; otherwise
//     ceil(bits/4) lowercase hex digits equal to an independent HMAC-SHA256
//     of "enveil/v1/bidx" ‖ normalized value, the unused low bits of the last
//     digit zero, and the same index for the value and its normalized form.
#include <cstdint>
#include <string>
#include <vector>

#include "blind_index.h"
#include "fuzz_common.h"
#include "hmac.h"

using namespace enveil;
using namespace enveil_fuzz;

namespace {

const HmacSha256Key& index_key() { return fixed_hmac_key<kIndexKey>(); }

// Decodes valid UTF-8 (checked by valid_utf8 first) into code points.
std::vector<uint32_t> code_points(ByteView s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const uint8_t b = s[i];
    uint32_t cp;
    size_t n;
    if (b < 0x80) cp = b, n = 0;
    else if (b < 0xE0) cp = b & 0x1F, n = 1;
    else if (b < 0xF0) cp = b & 0x0F, n = 2;
    else cp = b & 0x07, n = 3;
    for (size_t k = 1; k <= n; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    out.push_back(cp);
    i += n + 1;
  }
  return out;
}

// Unicode White_Space (PropList.txt) plus U+FEFF, as JavaScript's trim().
bool white_space(uint32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

Result<SecretBuffer> normalize(ByteView v, uint8_t mode) {
  return normalize_value(v, static_cast<Normalization>(mode));
}

// The expected index: independent of blind_index.cc's formatting.
std::string reference_index(ByteView normalized, unsigned bits) {
  Bytes msg(bv(std::string_view("enveil/v1/bidx")).begin(),
            bv(std::string_view("enveil/v1/bidx")).end());
  msg.insert(msg.end(), normalized.begin(), normalized.end());
  uint8_t mac[32];
  FUZZ_CHECK(hmac_sha256(ByteView(kIndexKey), msg, mac).ok());
  // Keep the first `bits` bits, zero the rest, print ceil(bits/4) digits.
  for (unsigned i = 0; i < 256; ++i) {
    if (i >= bits) mac[i / 8] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
  }
  return to_hex(ByteView(mac)).substr(0, (bits + 3) / 4);
}

void check_mode(ByteView value, uint8_t mode, unsigned bits) {
  const bool utf8 = valid_utf8(value);
  const bool accepted = mode <= 3 && (mode == 0 || mode == 3 || utf8);
  Result<SecretBuffer> n = normalize(value, mode);
  FUZZ_CHECK(n.ok() == accepted);
  if (!n.ok()) {
    FUZZ_CHECK(n.status().code() == ErrorCode::kInvalidArgument);
  } else {
    const ByteView out = n.value().view();
    switch (mode) {
      case 0:
        FUZZ_CHECK(equal(out, value));
        break;
      case 3: {
        Bytes digits;
        for (uint8_t b : value) {
          if (b >= '0' && b <= '9') digits.push_back(b);
        }
        FUZZ_CHECK(equal(out, digits));
        break;
      }
      case 1:
      case 2: {
        FUZZ_CHECK(valid_utf8(out));
        FUZZ_CHECK(out.size() <= 2 * value.size());
        const std::vector<uint32_t> in_cps = code_points(value);
        const std::vector<uint32_t> out_cps = code_points(out);
        if (mode == 1) {
          FUZZ_CHECK(out_cps.size() == in_cps.size());
          // White_Space maps to itself and nothing else maps to it, so the
          // spaces sit where they were.
          for (size_t i = 0; i < in_cps.size(); ++i) {
            FUZZ_CHECK(white_space(in_cps[i]) == white_space(out_cps[i]));
          }
          // trim-lowercase == lowercase, then trim.
          size_t a = 0, b = out_cps.size();
          while (a < b && white_space(out_cps[a])) ++a;
          while (b > a && white_space(out_cps[b - 1])) --b;
          Result<SecretBuffer> t = normalize(value, 2);
          FUZZ_CHECK(t.ok());
          const std::vector<uint32_t> t_cps = code_points(t.value().view());
          FUZZ_CHECK(t_cps == std::vector<uint32_t>(out_cps.begin() + a,
                                                    out_cps.begin() + b));
        } else {
          FUZZ_CHECK(out_cps.size() <= in_cps.size());
          FUZZ_CHECK(out_cps.empty() || (!white_space(out_cps.front()) &&
                                         !white_space(out_cps.back())));
        }
        break;
      }
    }
    // Idempotent: normalizing the output again changes nothing.
    Result<SecretBuffer> twice = normalize(out, mode);
    FUZZ_CHECK(twice.ok());
    FUZZ_CHECK(equal(twice.value().view(), out));
  }

  Result<std::string> hex =
      blind_index_hex(index_key(), value, static_cast<Normalization>(mode), bits);
  const bool bits_ok = bits >= kBlindIndexMinBits && bits <= kBlindIndexMaxBits;
  FUZZ_CHECK(hex.ok() == (bits_ok && accepted));
  if (!hex.ok()) {
    FUZZ_CHECK(hex.status().code() == ErrorCode::kInvalidArgument);
    return;
  }
  const std::string& h = hex.value();
  FUZZ_CHECK(h.size() == (bits + 3) / 4);
  FUZZ_CHECK(is_lower_hex(h));
  FUZZ_CHECK(h == reference_index(n.value().view(), bits));
  // The normalized value indexes the same.
  Result<std::string> again = blind_index_hex(
      index_key(), n.value().view(), static_cast<Normalization>(mode), bits);
  FUZZ_CHECK(again.ok() && again.value() == h);
  // A longer index starts with this one's full digits.
  Result<std::string> full = blind_index_hex(
      index_key(), value, static_cast<Normalization>(mode), kBlindIndexMaxBits);
  FUZZ_CHECK(full.ok() && full.value().compare(0, bits / 4, h, 0, bits / 4) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r(data, size);
  const uint8_t raw_mode = r.u8();
  const uint16_t raw_bits = r.u16();
  const ByteView value = r.rest();
  const unsigned bits = raw_bits % 264;  // mostly in range, some just outside
  for (uint8_t mode = 0; mode <= 3; ++mode) check_mode(value, mode, bits);
  if (raw_mode > 3) check_mode(value, raw_mode, bits);
  // Any bit count outside [8, 256] is refused before anything else.
  if (raw_bits < kBlindIndexMinBits || raw_bits > kBlindIndexMaxBits) {
    Result<std::string> hex = blind_index_hex(
        index_key(), value, static_cast<Normalization>(raw_mode & 3), raw_bits);
    FUZZ_CHECK(!hex.ok() && hex.status().code() == ErrorCode::kInvalidArgument);
  }
  return 0;
}
