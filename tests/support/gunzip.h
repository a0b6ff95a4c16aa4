// Test helpers for compressed answers: Gunzip undoes the server's gzip so a test can compare
// the bytes with the file served, and Repeat builds compressible bodies.
// Thread-safety: pure functions.
#pragma once

#include <zlib.h>

#include <string>
#include <string_view>

namespace tributary::testing {

//! The gzip (RFC 1952) stream `data` decompressed; "<not gzip>" when it is not one, whole.
inline std::string Gunzip(const std::string& data) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return "<inflateInit2 failed>";
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  return rc == Z_STREAM_END ? out : "<not gzip>";
}

//! `text` `times` times over.
inline std::string Repeat(std::string_view text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out.append(text);
  return out;
}

}  // namespace tributary::testing
