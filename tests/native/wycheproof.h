// Loads Wycheproof vector files from ENVEIL_WYCHEPROOF_DIR (../shared/...).
#ifndef ENVEIL_TESTS_WYCHEPROOF_H_
#define ENVEIL_TESTS_WYCHEPROOF_H_

#include <cstdint>
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

}  // namespace enveil::testing

#endif  // ENVEIL_TESTS_WYCHEPROOF_H_
