// Byte views and the big-endian helpers the formats use.
#ifndef ENVEIL_BYTES_H_
#define ENVEIL_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace enveil {

using ByteView = std::span<const uint8_t>;
using MutableByteView = std::span<uint8_t>;

inline void store_be32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

inline uint32_t load_be32(const uint8_t* in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) |
         (uint32_t{in[2]} << 8) | uint32_t{in[3]};
}

}  // namespace enveil

#endif  // ENVEIL_BYTES_H_
