// Free disk space, for the guards that stop uploads and conversions before a disk fills.
// Thread-safety: a free function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tributary {

//! Bytes an unprivileged user may still write on the file system holding `path` (a file or a
//! folder that exists); nullopt when it cannot be examined.
std::optional<uint64_t> FreeDiskBytes(const std::string& path);

}  // namespace tributary
