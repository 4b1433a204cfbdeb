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

VectorCounts replay_aead(const std::string& file, const AeadFn& seal,
                         const AeadFn& open) {
  VectorCounts counts;
  const auto doc = load_wycheproof(file);
  if (doc.is_null()) return counts;
  for (const auto& group : doc["testGroups"]) {
    const bool supported = group["keySize"] == 256 && group["ivSize"] == 96 &&
                           group["tagSize"] == 128;
    for (const auto& t : group["tests"]) {
      ++counts.run;
      SCOPED_TRACE(file + " tcId " + std::to_string(t["tcId"].get<int>()));
      const std::vector<uint8_t> key = from_hex(t["key"]), iv = from_hex(t["iv"]),
                                 aad = from_hex(t["aad"]), msg = from_hex(t["msg"]);
      std::vector<uint8_t> sealed = from_hex(t["ct"]);
      const std::vector<uint8_t> tag = from_hex(t["tag"]);
      sealed.insert(sealed.end(), tag.begin(), tag.end());
      std::vector<uint8_t> out_seal(msg.size() + 16);
      std::vector<uint8_t> out_open(sealed.size() >= 16 ? sealed.size() - 16 : 0);
      const int s = seal(key, iv, msg, aad, out_seal);
      const int o = open(key, iv, sealed, aad, out_open);
      bool pass;
      if (!supported) {
        pass = s == 4 && o == 4;
        if (pass) ++counts.rejected_sizes;
      } else if (t["result"] == "valid") {
        pass = s == 0 && o == 0 && out_seal == sealed && out_open == msg;
      } else {
        pass = o == 1 && out_open == std::vector<uint8_t>(out_open.size(), 0);
      }
      if (pass) {
        ++counts.passed;
      } else {
        ADD_FAILURE() << "seal gave " << s << ", open gave " << o;
      }
    }
  }
  counts.print(file);
  return counts;
}

void VectorCounts::print(const std::string& name) const {
  std::cout << "[wycheproof] " << name << ": run " << run << ", passed "
            << passed << ", unsupported sizes rejected " << rejected_sizes
            << std::endl;
}

}  // namespace enveil::testing
