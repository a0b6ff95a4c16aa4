#include "core/sha256.h"

#include <openssl/evp.h>

#include <algorithm>

namespace tributary {

std::optional<Sha256Digest> Sha256(std::string_view data) {
  unsigned char buffer[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), buffer, &length, EVP_sha256(), nullptr) != 1 ||
      length != Sha256Digest().size()) {
    return std::nullopt;
  }
  Sha256Digest digest;
  std::copy(buffer, buffer + digest.size(), digest.begin());
  return digest;
}

std::string HexDigest(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (unsigned char byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  return hex;
}

std::string Sha256Hex(std::string_view data) {
  std::optional<Sha256Digest> digest = Sha256(data);
  return digest ? HexDigest(*digest) : std::string();
}

}  // namespace tributary
