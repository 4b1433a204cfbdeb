// The CSPRNG: the operating system's, through getentropy(). Under Emscripten
// getentropy() reads crypto.getRandomValues (browser, webview, Node >= 19).
#ifndef ENVEIL_RANDOM_H_
#define ENVEIL_RANDOM_H_

#include "bytes.h"
#include "status.h"

namespace enveil {

// Largest request random_fill() accepts in one call.
inline constexpr size_t kRandomMaxBytes = 1 << 20;

// Fills `out` with random bytes. Errors: kInvalidArgument when out is larger
// than kRandomMaxBytes; kUnsupported when the platform has no secure source
// (out is then wiped).
Status random_fill(MutableByteView out) noexcept;

// Fills `out` (at most 64 bytes) with random bytes meant to be published,
// such as record salts, from a 4 KiB pool refilled by random_fill(): one
// system call per ~250 records instead of one each. Never use it for keys:
// the pool's unread bytes sit in memory until used (each is wiped as it is
// handed out). Not thread-safe (WASM is single-threaded). Errors as
// random_fill.
Status random_fill_public(MutableByteView out) noexcept;

}  // namespace enveil

#endif  // ENVEIL_RANDOM_H_
