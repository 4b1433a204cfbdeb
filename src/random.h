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

// There is deliberately no buffered or pooled variant: anything kept in
// memory for later draws is repeated by an instance that is cloned or
// resumed from a snapshot, and a repeated record salt repeats a GCM key and
// nonce. Every caller asks the system each time.

}  // namespace enveil

#endif  // ENVEIL_RANDOM_H_
