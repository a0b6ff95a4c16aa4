#include "server/csv_stream.h"

#include "core/result_writer.h"

namespace tributary {

CsvChunker::CsvChunker(std::shared_ptr<const QueryResult> result) : result_(std::move(result)) {}

bool CsvChunker::Next(std::string& out, size_t target_bytes) {
  out.clear();
  const QueryResult& r = *result_;
  if (!header_done_) {
    AppendCsvHeader(r, out);
    header_done_ = true;
  }
  const size_t rows = r.row_count();
  while (next_row_ < rows && out.size() < target_bytes) AppendCsvRow(r, next_row_++, out);
  return !out.empty();
}

}  // namespace tributary
