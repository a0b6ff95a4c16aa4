#include "server/csv_stream.h"

#include "core/result_writer.h"

namespace tributary {

namespace {

// The same RFC 4180 quoting as ResultToCsv; csv_stream_test checks that both agree.
void AppendField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

CsvChunker::CsvChunker(std::shared_ptr<const QueryResult> result) : result_(std::move(result)) {}

bool CsvChunker::Next(std::string& out, size_t target_bytes) {
  out.clear();
  const QueryResult& r = *result_;
  const size_t cols = r.column_count();
  if (!header_done_) {
    for (size_t c = 0; c < cols; ++c) {
      if (c) out.push_back(',');
      AppendField(out, r.columns()[c].name);
    }
    out.append("\r\n");
    header_done_ = true;
  }
  const size_t rows = r.row_count();
  while (next_row_ < rows && out.size() < target_bytes) {
    for (size_t c = 0; c < cols; ++c) {
      if (c) out.push_back(',');
      AppendField(out, CellToText(r, next_row_, c));
    }
    out.append("\r\n");
    ++next_row_;
  }
  return !out.empty();
}

}  // namespace tributary
