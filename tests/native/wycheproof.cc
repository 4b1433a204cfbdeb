#include "wycheproof.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

namespace enveil::testing {

nlohmann::json load_wycheproof(const std::string& name) {
  const std::string path = std::string(ENVEIL_WYCHEPROOF_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "missing Wycheproof vectors: " << path;
    return nullptr;
  }
  return nlohmann::json::parse(in);
}

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  return out;
}

std::string to_hex(const uint8_t* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}

void VectorCounts::print(const std::string& name) const {
  std::cout << "[wycheproof] " << name << ": run " << run << ", passed "
            << passed << ", unsupported sizes rejected " << rejected_sizes
            << std::endl;
}

}  // namespace enveil::testing
