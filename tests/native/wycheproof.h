// Loads Wycheproof vector files from ENVEIL_WYCHEPROOF_DIR (../shared/...).
#ifndef ENVEIL_TESTS_WYCHEPROOF_H_
#define ENVEIL_TESTS_WYCHEPROOF_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace enveil::testing {

// Parses <ENVEIL_WYCHEPROOF_DIR>/<name>; fails the calling test (ADD_FAILURE)
// and returns null json when the file is missing: vectors are required.
nlohmann::json load_wycheproof(const std::string& name);

std::vector<uint8_t> from_hex(const std::string& hex);
std::string to_hex(const uint8_t* data, size_t size);
inline std::string to_hex(const std::vector<uint8_t>& v) {
  return to_hex(v.data(), v.size());
}

// Counts what a vector file did, printed as "<name>: run N, passed N, ...".
struct VectorCounts {
  int run = 0;
  int passed = 0;
  int rejected_sizes = 0;  // unsupported sizes rejected with kInvalidArgument
  void print(const std::string& name) const;
};

// An AEAD under test: seal or open (key, nonce, input, aad) into out, which
// has the exact output size; returns the core's error code as an int (0 ok).
using AeadFn = std::function<int(const std::vector<uint8_t>& key,
                                 const std::vector<uint8_t>& nonce,
                                 const std::vector<uint8_t>& in,
                                 const std::vector<uint8_t>& aad,
                                 std::vector<uint8_t>& out)>;

// Replays an AEAD vector file through seal and open: 256-bit key, 96-bit
// nonce, 128-bit tag cases must match exactly (invalid ones fail with
// kAuthFailed = 1 and a wiped output); every other size must be rejected
// with kInvalidArgument = 4. Failures are reported with ADD_FAILURE.
VectorCounts replay_aead(const std::string& file, const AeadFn& seal,
                         const AeadFn& open);

}  // namespace enveil::testing

#endif  // ENVEIL_TESTS_WYCHEPROOF_H_
