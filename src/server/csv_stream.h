// Encodes a QueryResult as CSV a piece at a time, so that a large result is streamed as HTTP
// chunks without ever holding the whole CSV text next to the result. The bytes produced, when
// concatenated, equal ResultToCsv(result).
// Thread-safety: one CsvChunker is used by one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/query_result.h"

namespace tributary {

class CsvChunker {
 public:
  explicit CsvChunker(std::shared_ptr<const QueryResult> result);

  //! Appends the next rows to `out` (cleared first) until it holds at least `target_bytes`
  //! or the result is exhausted. Returns false, leaving `out` empty, once everything is out.
  bool Next(std::string& out, size_t target_bytes);

 private:
  std::shared_ptr<const QueryResult> result_;
  bool header_done_ = false;
  size_t next_row_ = 0;
};

}  // namespace tributary
