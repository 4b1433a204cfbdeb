#include "unicode_case.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace enveil {
namespace {

// Maps first, first + stride, ..., last (inclusive) to cp + delta. Code points
// strictly inside the span but off the stride are unmapped.
struct LowerRange {
  uint32_t first;
  uint32_t last;
  int32_t delta;
  uint8_t stride;
};

#include "unicode_lower_table.inc"

// The lookup relies on these invariants; the generator checks them too.
constexpr bool TableIsValid() {
  uint32_t next_free = 0;
  for (const LowerRange& r : kLowerRanges) {
    if (r.first < next_free || r.last < r.first || r.last > 0x10FFFF) {
      return false;
    }
    if ((r.stride != 1 && r.stride != 2) || (r.last - r.first) % r.stride) {
      return false;
    }
    next_free = r.last + 1;
  }
  return true;
}
static_assert(TableIsValid(), "kLowerRanges must be sorted and disjoint");

}  // namespace

uint32_t unicode_simple_lower(uint32_t cp) noexcept {
  if (cp < 0x80) {
    return cp - 'A' < 26 ? cp + ('a' - 'A') : cp;
  }
  // First range whose `first` is greater than cp; the candidate precedes it.
  const LowerRange* it = std::upper_bound(
      std::begin(kLowerRanges), std::end(kLowerRanges), cp,
      [](uint32_t v, const LowerRange& r) { return v < r.first; });
  if (it == std::begin(kLowerRanges)) {
    return cp;
  }
  const LowerRange& r = *std::prev(it);
  if (cp > r.last || (cp - r.first) % r.stride != 0) {
    return cp;
  }
  // Modular unsigned addition of a signed delta; results stay in range.
  return cp + static_cast<uint32_t>(r.delta);
}

}  // namespace enveil
