#include "core/query_result.h"

namespace tributary {

void ColumnData::AppendNull() {
  valid_.push_back(0);
  switch (type_) {
    case ColumnType::kDouble:
      doubles_.push_back(0);
      break;
    case ColumnType::kDecimal:
    case ColumnType::kString:
    case ColumnType::kJson:
    case ColumnType::kBytes:
      strings_.emplace_back();
      break;
    case ColumnType::kNull:
      break;
    default:
      ints_.push_back(0);
  }
  approx_bytes_ += 1;
}

void ColumnData::AppendBool(bool v) {
  valid_.push_back(1);
  ints_.push_back(v ? 1 : 0);
  approx_bytes_ += 1;
}

void ColumnData::AppendInt(int64_t v) {
  valid_.push_back(1);
  ints_.push_back(v);
  approx_bytes_ += 8;
}

void ColumnData::AppendDouble(double v) {
  valid_.push_back(1);
  doubles_.push_back(v);
  approx_bytes_ += 8;
}

void ColumnData::AppendString(std::string v) {
  valid_.push_back(1);
  approx_bytes_ += v.size() + 1;
  strings_.push_back(std::move(v));
}

void ColumnData::Append(const Value& v) {
  if (v.is_null()) return AppendNull();
  switch (type_) {
    case ColumnType::kBool:
      return AppendBool(v.as_bool());
    case ColumnType::kInt64:
    case ColumnType::kDate:
    case ColumnType::kTimestamp:
      return AppendInt(v.as_int());
    case ColumnType::kDouble:
      return AppendDouble(v.as_double());
    case ColumnType::kNull:
      return AppendNull();
    default:
      return AppendString(v.as_string());
  }
}

Value ColumnData::ValueAt(size_t row) const {
  if (is_null(row)) return Value::Null();
  switch (type_) {
    case ColumnType::kNull:
      return Value::Null();
    case ColumnType::kBool:
      return Value::Bool(ints_[row] != 0);
    case ColumnType::kInt64:
      return Value::Int64(ints_[row]);
    case ColumnType::kDate:
      return Value::Date(ints_[row]);
    case ColumnType::kTimestamp:
      return Value::Timestamp(ints_[row]);
    case ColumnType::kDouble:
      return Value::Double(doubles_[row]);
    default:
      return Value{type_, strings_[row]};
  }
}

QueryResult::QueryResult(std::vector<ColumnInfo> columns) : columns_(std::move(columns)) {
  data_.reserve(columns_.size());
  for (const auto& c : columns_) data_.emplace_back(c.type);
}

size_t QueryResult::ApproxBytes() const {
  size_t total = 0;
  for (const auto& c : data_) total += c.ApproxBytes();
  return total;
}

void QueryResult::AppendRow(const std::vector<Value>& row) {
  for (size_t i = 0; i < data_.size() && i < row.size(); ++i) data_[i].Append(row[i]);
}

}  // namespace tributary
