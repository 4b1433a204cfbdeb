#include "random.h"

#include <unistd.h>

#include <algorithm>

#include "secret.h"

namespace enveil {

Status random_fill(MutableByteView out) noexcept {
  if (out.size() > kRandomMaxBytes) return Status(ErrorCode::kInvalidArgument);
  // getentropy() serves at most 256 bytes per call.
  constexpr size_t kChunk = 256;
  for (size_t done = 0; done < out.size();) {
    size_t n = std::min(kChunk, out.size() - done);
    if (getentropy(out.data() + done, n) != 0) {
      secure_wipe(out.data(), out.size());
      return Status(ErrorCode::kUnsupported);
    }
    done += n;
  }
  return Status::Ok();
}

}  // namespace enveil
