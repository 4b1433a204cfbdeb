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

Status random_fill_public(MutableByteView out) noexcept {
  constexpr size_t kPoolBytes = 4096;
  static uint8_t pool[kPoolBytes];
  static size_t used = kPoolBytes;  // empty until the first call
  if (out.size() > 64) return Status(ErrorCode::kInvalidArgument);
  if (kPoolBytes - used < out.size()) {
    ENVEIL_RETURN_IF_ERROR(random_fill(MutableByteView(pool, kPoolBytes)));
    used = 0;
  }
  std::copy_n(pool + used, out.size(), out.data());
  secure_wipe(pool + used, out.size());
  used += out.size();
  return Status::Ok();
}

}  // namespace enveil
