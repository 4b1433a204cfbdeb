// What both Embind files share: (pointer, length) views of memory the JS
// side allocated, the status convention, and the stack burn. Marshalling
// only; included by bindings.cc and stream.cc (one translation unit each).
#ifndef ENVEIL_BINDINGS_MARSHAL_H_
#define ENVEIL_BINDINGS_MARSHAL_H_

#include <emscripten/stack.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "bytes.h"
#include "status.h"

namespace enveil::marshal {

inline ByteView in(uintptr_t ptr, size_t len) {
  return {reinterpret_cast<const uint8_t*>(ptr), len};
}
inline MutableByteView out(uintptr_t ptr, size_t len) {
  return {reinterpret_cast<uint8_t*>(ptr), len};
}
inline int rc(Status s) { return -static_cast<int>(s.code()); }

// BearSSL keeps key schedules, keystream blocks and hash states in locals it
// never wipes. Every Embind entry point holds a StackBurn: when the call
// returns, the stack below the entry point's frame, where those locals lived,
// is zeroed. Zeroing costs time on every call (16 KiB took 1.5 us, as much as
// an HMAC of 32 bytes), so each entry point burns what its calls can reach:
// measured at most 1.4 KiB below the AEAD-free entry points and 2.5 KiB below
// the others (-O3). tests/js/stack-burn.test.js paints the stack, calls every
// entry point and fails if anything but zeros is left below it, so a change
// that deepens a call is caught. Sanitizer builds use far deeper frames.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ENVEIL_STACK_BURN_SCALE 16
#endif
#endif
#ifndef ENVEIL_STACK_BURN_SCALE
#define ENVEIL_STACK_BURN_SCALE 1
#endif
constexpr size_t kStackBurnSmall = 2048 * ENVEIL_STACK_BURN_SCALE;
constexpr size_t kStackBurnLarge = 4096 * ENVEIL_STACK_BURN_SCALE;

template <size_t kBytes>
struct StackBurn {
  StackBurn() = default;
  StackBurn(const StackBurn&) = delete;
  StackBurn& operator=(const StackBurn&) = delete;
  [[gnu::always_inline]] inline ~StackBurn() {
    const uintptr_t current = emscripten_stack_get_current();
    const size_t n = std::min<size_t>(kBytes, current - emscripten_stack_get_end());
    uint8_t* below = reinterpret_cast<uint8_t*>(current - n);
    std::memset(below, 0, n);
    __asm__ __volatile__("" : : "r"(below) : "memory");  // keep the memset
  }
};
using SmallBurn = StackBurn<kStackBurnSmall>;
using LargeBurn = StackBurn<kStackBurnLarge>;

}  // namespace enveil::marshal

#endif  // ENVEIL_BINDINGS_MARSHAL_H_
