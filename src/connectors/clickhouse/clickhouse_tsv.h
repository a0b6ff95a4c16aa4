// Incremental reader of a TabSeparatedWithNamesAndTypes response into a QueryResult.
//
// Chunks are fed as they arrive from the network; whole lines are parsed at once (line 1
// names, line 2 types, then rows). The reader enforces the row limit (it asks for one row more
// than the limit to know that the result was cut) and the byte limit, and reports when the
// caller should stop the transfer. ClickHouse reports an error that happens after the first
// bytes were sent by appending "Code: N, e.displayText() = DB::Exception: ..." to the body of
// a 200 response; such a line is recognised and turned into the error (a one-column result
// whose value starts with exactly that text would be misread: an accepted, documented risk).
// Thread-safety: one reader per response, used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "connectors/clickhouse/clickhouse_types.h"
#include "core/query_result.h"

namespace tributary::clickhouse {

class TsvResultReader {
 public:
  //! max_rows / max_bytes: 0 means no limit.
  TsvResultReader(int64_t max_rows, int64_t max_bytes)
      : max_rows_(max_rows), max_bytes_(max_bytes) {}

  //! Consumes a chunk. Returns false when the transfer should stop: a limit was reached
  //! (result().stats().truncated) or the data is bad (status() not OK).
  bool Feed(std::string_view chunk);
  //! Called once the body is complete; parses a last line without a newline.
  Status Finish();

  const Status& status() const { return status_; }
  bool truncated() const { return result_.stats().truncated; }
  //! The result; valid once the header lines were read.
  QueryResult TakeResult() { return std::move(result_); }
  bool has_header() const { return header_done_; }

 private:
  bool ParseLine(std::string_view line);

  const int64_t max_rows_;
  const int64_t max_bytes_;
  std::string pending_;
  std::vector<std::string> names_;
  std::vector<MappedType> types_;
  bool header_names_read_ = false;
  bool header_done_ = false;
  int64_t rows_ = 0;
  int64_t bytes_ = 0;
  bool stopped_ = false;
  Status status_;
  QueryResult result_;
};

}  // namespace tributary::clickhouse
