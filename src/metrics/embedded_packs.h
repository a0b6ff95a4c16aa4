// The metric pack files compiled into the binary (generated from packs/ by
// cmake/embed_packs.cmake), so that a bare `tributary serve` has its packs wherever it runs.
// Thread-safety: immutable static data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tributary {

struct EmbeddedFile {
  //! Path relative to packs/, e.g. "llm/pack.yaml".
  std::string path;
  std::string_view content;
};

const std::vector<EmbeddedFile>& EmbeddedPackFiles();

}  // namespace tributary
