// QueryResult: the typed, columnar result every connector produces.
//
// Cells are stored per column in compact vectors and turned into JSON or CSV only when a
// response is written (result_writer.h), so a large result is never held twice as row objects.
// Thread-safety: build on one thread; once complete a const QueryResult may be read anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/value.h"

namespace tributary {

struct ColumnInfo {
  std::string name;
  ColumnType type = ColumnType::kNull;
  //! The engine's own type name (e.g. "DECIMAL(18,3)", "TIMESTAMP WITH TIME ZONE").
  std::string source_type;
};

//! The cells of one column. Nulls are tracked in `valid`; a null's payload slot holds a
//! default value so that row i is always at index i.
class ColumnData {
 public:
  explicit ColumnData(ColumnType type = ColumnType::kNull) : type_(type) {}

  ColumnType type() const { return type_; }
  size_t size() const { return valid_.size(); }
  bool is_null(size_t row) const { return valid_[row] == 0; }

  void AppendNull();
  void AppendBool(bool v);
  //! For kInt64, kDate (days) and kTimestamp (micros).
  void AppendInt(int64_t v);
  void AppendDouble(double v);
  //! For kDecimal, kString, kJson and kBytes.
  void AppendString(std::string v);
  //! Appends a Value whose type matches the column (or a null).
  void Append(const Value& v);

  bool bool_at(size_t row) const { return ints_[row] != 0; }
  int64_t int_at(size_t row) const { return ints_[row]; }
  double double_at(size_t row) const { return doubles_[row]; }
  const std::string& string_at(size_t row) const { return strings_[row]; }
  Value ValueAt(size_t row) const;

  //! Bytes held by the cells, for byte limits and cache accounting.
  size_t ApproxBytes() const { return approx_bytes_; }

 private:
  ColumnType type_;
  std::vector<uint8_t> valid_;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<std::string> strings_;
  size_t approx_bytes_ = 0;
};

//! Something the caller should know about a successful query, carried to `meta.warnings`.
struct QueryWarning {
  //! Stable code, e.g. "COST_WARNING".
  std::string code;
  std::string message;
  //! For cost warnings: the estimated bytes processed and their on-demand price in USD.
  int64_t bytes = 0;
  double usd = 0;
};

struct QueryStats {
  int64_t elapsed_us = 0;
  //! True when a row or byte limit cut the result short.
  bool truncated = false;
  //! Which limit cut it: "rows" or "bytes" (empty when not truncated).
  std::string truncated_by;
  //! Warnings of the query (cost estimates above the warn threshold, ...).
  std::vector<QueryWarning> warnings;
};

class QueryResult {
 public:
  QueryResult() = default;
  explicit QueryResult(std::vector<ColumnInfo> columns);

  const std::vector<ColumnInfo>& columns() const { return columns_; }
  size_t column_count() const { return columns_.size(); }
  size_t row_count() const { return columns_.empty() ? 0 : data_[0].size(); }
  ColumnData& column(size_t i) { return data_[i]; }
  const ColumnData& column(size_t i) const { return data_[i]; }
  Value ValueAt(size_t row, size_t col) const { return data_[col].ValueAt(row); }
  size_t ApproxBytes() const;

  //! Appends one row of values in column order (used by tests and small connectors).
  void AppendRow(const std::vector<Value>& row);

  QueryStats& stats() { return stats_; }
  const QueryStats& stats() const { return stats_; }

 private:
  std::vector<ColumnInfo> columns_;
  std::vector<ColumnData> data_;
  QueryStats stats_;
};

}  // namespace tributary
