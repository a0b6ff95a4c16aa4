#include "connectors/clickhouse/clickhouse_tsv.h"

#include "connectors/clickhouse/clickhouse_sql.h"

namespace tributary::clickhouse {

namespace {

constexpr std::string_view kMidStreamError = ", e.displayText() = DB::Exception:";

bool IsErrorLine(std::string_view line) {
  return line.substr(0, 6) == "Code: " && line.find(kMidStreamError) != std::string_view::npos;
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

}  // namespace

bool TsvResultReader::Feed(std::string_view chunk) {
  if (stopped_) return false;
  pending_.append(chunk);
  size_t start = 0;
  while (true) {
    size_t newline = pending_.find('\n', start);
    if (newline == std::string::npos) break;
    if (!ParseLine(std::string_view(pending_).substr(start, newline - start))) {
      stopped_ = true;
      pending_.clear();
      return false;
    }
    start = newline + 1;
  }
  pending_.erase(0, start);
  return true;
}

Status TsvResultReader::Finish() {
  if (!stopped_ && !pending_.empty()) {
    std::string last = std::move(pending_);
    pending_.clear();
    ParseLine(last);
  }
  if (status_.ok() && !header_done_) {
    return QueryError("ClickHouse sent an incomplete result (no column header)");
  }
  return status_;
}

bool TsvResultReader::ParseLine(std::string_view line) {
  if (IsErrorLine(line)) {
    status_ = MapClickHouseError(200, line);
    return false;
  }
  if (!header_done_) {
    if (!header_names_read_) {
      for (auto field : SplitTabs(line)) names_.push_back(TsvUnescape(field));
      header_names_read_ = true;
      return true;
    }
    auto fields = SplitTabs(line);
    if (fields.size() != names_.size()) {
      status_ = QueryError("ClickHouse sent a malformed result header");
      return false;
    }
    std::vector<ColumnInfo> columns;
    for (size_t i = 0; i < fields.size(); ++i) {
      std::string source_type = TsvUnescape(fields[i]);
      types_.push_back(MapClickHouseType(source_type));
      columns.push_back(ColumnInfo{names_[i], types_.back().type, std::move(source_type)});
    }
    result_ = QueryResult(std::move(columns));
    header_done_ = true;
    return true;
  }
  auto fields = SplitTabs(line);
  if (fields.size() != types_.size()) {
    status_ = QueryError("ClickHouse sent a row with " + std::to_string(fields.size()) +
                         " fields for " + std::to_string(types_.size()) + " columns");
    return false;
  }
  if (max_rows_ > 0 && rows_ >= max_rows_) {
    result_.stats().truncated = true;
    result_.stats().truncated_by = "rows";
    return false;
  }
  const int64_t line_bytes = static_cast<int64_t>(line.size());
  if (max_bytes_ > 0 && rows_ > 0 && bytes_ + line_bytes > max_bytes_) {
    result_.stats().truncated = true;
    result_.stats().truncated_by = "bytes";
    return false;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    ColumnData& column = result_.column(i);
    if (fields[i] == "\\N") {
      column.AppendNull();
      continue;
    }
    Status appended =
        types_[i].type == ColumnType::kJson
            // Arrays and tuples are written in their quoted text form, not TSV-escaped again.
            ? AppendClickHouseCell(types_[i], fields[i], column, names_[i])
            : AppendClickHouseCell(types_[i], TsvUnescape(fields[i]), column, names_[i]);
    if (!appended.ok()) {
      status_ = appended;
      return false;
    }
  }
  ++rows_;
  bytes_ += line_bytes;
  return true;
}

}  // namespace tributary::clickhouse
