#include "connectors/duckdb/duckdb_types.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "connectors/duckdb/duckdb_handles.h"
#include "core/encoding.h"
#include "core/json_text.h"
#include "core/result_writer.h"
#include "core/time_util.h"

namespace tributary::duckdb_internal {

namespace {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 Uint128;

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
// FormatTimestamp computes whole days times micros-per-day; below this the product would
// overflow int64. DuckDB's -infinity (and nothing finite) lies below it, so it is clamped
// to this, the earliest instant every consumer can format.
constexpr int64_t kMinTimestampMicros =
    (std::numeric_limits<int64_t>::min() / kMicrosPerDay + 1) * kMicrosPerDay;

// Reads element `row` of a vector's data array (memcpy: no alignment or aliasing assumptions).
template <typename T>
T At(const void* data, idx_t row) {
  T value;
  std::memcpy(&value, static_cast<const char*>(data) + row * sizeof(T), sizeof(T));
  return value;
}

// The tag of a UNION vector (its child 0).
const DuckType& UnionTagType() {
  static const DuckType type = [] {
    DuckType t;
    t.id = DUCKDB_TYPE_UTINYINT;
    return t;
  }();
  return type;
}

// Decimal digits of `magnitude`, with a leading '-' when `negative`.
std::string Uint128ToString(Uint128 magnitude, bool negative = false) {
  char buf[48];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  if (negative) *--p = '-';
  return std::string(p, end);
}

std::string Int128ToString(Int128 value) {
  if (value >= 0) return Uint128ToString(static_cast<Uint128>(value));
  // Negating in unsigned arithmetic keeps the minimum value exact.
  return Uint128ToString(~static_cast<Uint128>(value) + 1, true);
}

// Places the decimal point `scale` digits from the right of an integer's text.
std::string ScaleDigits(const std::string& digits, uint8_t scale) {
  if (scale == 0) return digits;
  std::string_view magnitude = digits;
  std::string out;
  out.reserve(digits.size() + scale + 3);
  if (!magnitude.empty() && magnitude[0] == '-') {
    out.push_back('-');
    magnitude.remove_prefix(1);
  }
  if (magnitude.size() <= scale) {
    out += "0.";
    out.append(scale - magnitude.size(), '0');
    out.append(magnitude);
  } else {
    out.append(magnitude.substr(0, magnitude.size() - scale));
    out.push_back('.');
    out.append(magnitude.substr(magnitude.size() - scale));
  }
  return out;
}

std::string FormatDouble(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// A FLOAT widened to double would print as 0.10000000149011612; going through the float's
// shortest text keeps the value the user sees in DuckDB (0.1).
double FloatToDouble(float v) {
  if (!std::isfinite(v)) return static_cast<double>(v);
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  double out = 0;
  std::from_chars(buf, res.ptr, out);
  return out;
}

void AppendJsonDouble(double v, std::string& out) {
  if (std::isnan(v)) {
    out += "\"NaN\"";
  } else if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    out += FormatDouble(v);
  }
}

std::string FormatUuid(const duckdb_hugeint& value) {
  // DuckDB stores a UUID as a HUGEINT with the top bit flipped so that signed comparison
  // orders UUIDs like their text.
  const uint64_t high = static_cast<uint64_t>(value.upper) ^ (uint64_t{1} << 63);
  const uint64_t low = value.lower;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(high >> 32),
                static_cast<unsigned long long>((high >> 16) & 0xffff),
                static_cast<unsigned long long>(high & 0xffff),
                static_cast<unsigned long long>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return buf;
}

// BIT storage: one byte holding the number of padding bits, then the bits (most significant
// first), the first `padding` bits of which are not part of the value.
std::string FormatBit(std::string_view raw) {
  if (raw.empty()) return {};
  const unsigned padding = static_cast<uint8_t>(raw[0]);
  std::string out;
  out.reserve((raw.size() - 1) * 8);
  for (size_t i = 1; i < raw.size(); ++i) {
    const auto byte = static_cast<uint8_t>(raw[i]);
    for (int bit = 7; bit >= 0; --bit) {
      if (i == 1 && static_cast<unsigned>(7 - bit) < padding) continue;
      out.push_back((byte >> bit) & 1 ? '1' : '0');
    }
  }
  return out;
}

// BIGNUM storage: a 3-byte header whose top bit is set for non-negative numbers, then the
// magnitude's bytes big-endian; a negative number has header and bytes bit-inverted.
std::string FormatBignum(std::string_view raw) {
  if (raw.size() < 3) return "0";
  const bool negative = (static_cast<uint8_t>(raw[0]) & 0x80) == 0;
  // Base 1e9 limbs, least significant first.
  std::vector<uint32_t> limbs{0};
  for (size_t i = 3; i < raw.size(); ++i) {
    uint64_t carry = static_cast<uint8_t>(negative ? ~raw[i] : raw[i]);
    for (auto& limb : limbs) {
      const uint64_t v = uint64_t{limb} * 256 + carry;
      limb = static_cast<uint32_t>(v % 1'000'000'000);
      carry = v / 1'000'000'000;
    }
    while (carry != 0) {
      limbs.push_back(static_cast<uint32_t>(carry % 1'000'000'000));
      carry /= 1'000'000'000;
    }
  }
  while (limbs.size() > 1 && limbs.back() == 0) limbs.pop_back();
  std::string out = std::to_string(limbs.back());
  char buf[16];
  for (size_t i = limbs.size() - 1; i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%09u", limbs[i]);
    out += buf;
  }
  if (negative && out != "0") out.insert(0, 1, '-');
  return out;
}

// DuckDB's spelling of a TIME WITH TIME ZONE offset: +HH, +HH:MM or +HH:MM:SS.
std::string FormatOffset(int32_t offset_seconds) {
  const char sign = offset_seconds < 0 ? '-' : '+';
  const int32_t abs = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  char buf[16];
  if (abs % 60 != 0) {
    std::snprintf(buf, sizeof buf, "%c%02d:%02d:%02d", sign, abs / 3600, abs / 60 % 60, abs % 60);
  } else if (abs / 60 % 60 != 0) {
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, abs / 3600, abs / 60 % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%c%02d", sign, abs / 3600);
  }
  return buf;
}

int64_t SaturatingMultiply(int64_t value, int64_t factor) {
  int64_t out;
  if (__builtin_mul_overflow(value, factor, &out)) {
    return value < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  return out;
}

int64_t FloorDivide(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && (a < 0) != (b < 0)) --q;
  return q;
}

// Field names in STRUCT(...) and UNION(...) are quoted the way DuckDB prints them when they
// are not plain identifiers. (DuckDB also quotes reserved keywords; this does not.)
std::string QuoteFieldName(const std::string& name) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      plain = false;
    }
  }
  if (plain) return name;
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::string HugeintToString(uint64_t lower, int64_t upper) {
  const Uint128 bits = (static_cast<Uint128>(static_cast<uint64_t>(upper)) << 64) | lower;
  return Int128ToString(static_cast<Int128>(bits));
}

std::string UhugeintToString(uint64_t lower, uint64_t upper) {
  return Uint128ToString((static_cast<Uint128>(upper) << 64) | lower);
}

std::string FormatInterval(int32_t months, int32_t days, int64_t micros) {
  if (months == 0 && days == 0 && micros == 0) return "PT0S";
  std::string out = "P";
  if (months / 12 != 0) out += std::to_string(months / 12) + "Y";
  if (months % 12 != 0) out += std::to_string(months % 12) + "M";
  if (days != 0) out += std::to_string(days) + "D";
  if (micros != 0) {
    out += "T";
    constexpr int64_t kPerHour = 3600 * kMicrosPerSecond;
    constexpr int64_t kPerMinute = 60 * kMicrosPerSecond;
    const int64_t hours = micros / kPerHour;
    const int64_t minutes = micros % kPerHour / kPerMinute;
    const int64_t rest = micros % kPerMinute;  // seconds and fraction, same sign as micros
    if (hours != 0) out += std::to_string(hours) + "H";
    if (minutes != 0) out += std::to_string(minutes) + "M";
    if (rest != 0) {
      const int64_t abs = rest < 0 ? -rest : rest;
      if (rest < 0) out += "-";
      out += std::to_string(abs / kMicrosPerSecond);
      if (abs % kMicrosPerSecond != 0) {
        char buf[16];
        std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(abs % kMicrosPerSecond));
        std::string frac = buf;
        while (frac.back() == '0') frac.pop_back();
        out += frac;
      }
      out += "S";
    }
  }
  return out;
}

std::string FormatTimeOfDay(int64_t units, int64_t units_per_second, int fraction_digits) {
  const int64_t seconds = units / units_per_second;
  const int64_t fraction = units % units_per_second;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  std::string out = buf;
  if (fraction != 0) {
    std::snprintf(buf, sizeof buf, ".%0*lld", fraction_digits, static_cast<long long>(fraction));
    out += buf;
  }
  return out;
}

DuckType DescribeType(duckdb_logical_type type) {
  DuckType out;
  out.id = duckdb_get_type_id(type);
  out.alias = TakeDuckString(duckdb_logical_type_get_alias(type));
  switch (out.id) {
    case DUCKDB_TYPE_DECIMAL:
      out.width = duckdb_decimal_width(type);
      out.scale = duckdb_decimal_scale(type);
      out.internal = duckdb_decimal_internal_type(type);
      break;
    case DUCKDB_TYPE_ENUM: {
      out.internal = duckdb_enum_internal_type(type);
      const uint32_t size = duckdb_enum_dictionary_size(type);
      out.enum_values.reserve(size);
      for (uint32_t i = 0; i < size; ++i) {
        out.enum_values.push_back(TakeDuckString(duckdb_enum_dictionary_value(type, i)));
      }
      break;
    }
    case DUCKDB_TYPE_LIST: {
      LogicalTypeHandle child(duckdb_list_type_child_type(type));
      out.children.push_back(DescribeType(child.get()));
      break;
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalTypeHandle child(duckdb_array_type_child_type(type));
      out.children.push_back(DescribeType(child.get()));
      out.array_size = duckdb_array_type_array_size(type);
      break;
    }
    case DUCKDB_TYPE_MAP: {
      LogicalTypeHandle key(duckdb_map_type_key_type(type));
      LogicalTypeHandle value(duckdb_map_type_value_type(type));
      out.children.push_back(DescribeType(key.get()));
      out.children.push_back(DescribeType(value.get()));
      break;
    }
    case DUCKDB_TYPE_STRUCT: {
      const idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        out.names.push_back(TakeDuckString(duckdb_struct_type_child_name(type, i)));
        LogicalTypeHandle child(duckdb_struct_type_child_type(type, i));
        out.children.push_back(DescribeType(child.get()));
      }
      break;
    }
    case DUCKDB_TYPE_UNION: {
      const idx_t n = duckdb_union_type_member_count(type);
      for (idx_t i = 0; i < n; ++i) {
        out.names.push_back(TakeDuckString(duckdb_union_type_member_name(type, i)));
        LogicalTypeHandle child(duckdb_union_type_member_type(type, i));
        out.children.push_back(DescribeType(child.get()));
      }
      break;
    }
    default:
      break;
  }
  return out;
}

std::string TypeName(const DuckType& type) {
  if (!type.alias.empty()) return type.alias;
  switch (type.id) {
    case DUCKDB_TYPE_BOOLEAN:
      return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT:
      return "TINYINT";
    case DUCKDB_TYPE_SMALLINT:
      return "SMALLINT";
    case DUCKDB_TYPE_INTEGER:
      return "INTEGER";
    case DUCKDB_TYPE_BIGINT:
      return "BIGINT";
    case DUCKDB_TYPE_UTINYINT:
      return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT:
      return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER:
      return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT:
      return "UBIGINT";
    case DUCKDB_TYPE_HUGEINT:
      return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT:
      return "UHUGEINT";
    case DUCKDB_TYPE_FLOAT:
      return "FLOAT";
    case DUCKDB_TYPE_DOUBLE:
      return "DOUBLE";
    case DUCKDB_TYPE_VARCHAR:
      return "VARCHAR";
    case DUCKDB_TYPE_BLOB:
      return "BLOB";
    case DUCKDB_TYPE_DATE:
      return "DATE";
    case DUCKDB_TYPE_TIME:
      return "TIME";
    case DUCKDB_TYPE_TIME_NS:
      return "TIME_NS";
    case DUCKDB_TYPE_TIME_TZ:
      return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_TIMESTAMP:
      return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_S:
      return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS:
      return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return "TIMESTAMP_NS";
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_INTERVAL:
      return "INTERVAL";
    case DUCKDB_TYPE_UUID:
      return "UUID";
    case DUCKDB_TYPE_BIT:
      return "BIT";
    case DUCKDB_TYPE_BIGNUM:
      return "BIGNUM";
    case DUCKDB_TYPE_SQLNULL:
      return "\"NULL\"";
    case DUCKDB_TYPE_DECIMAL:
      return "DECIMAL(" + std::to_string(type.width) + "," + std::to_string(type.scale) + ")";
    case DUCKDB_TYPE_ENUM: {
      std::string out = "ENUM(";
      for (size_t i = 0; i < type.enum_values.size(); ++i) {
        if (i) out += ", ";
        out += '\'';
        for (char c : type.enum_values[i]) {
          if (c == '\'') out += '\'';
          out += c;
        }
        out += '\'';
      }
      return out + ")";
    }
    case DUCKDB_TYPE_LIST:
      return TypeName(type.children.at(0)) + "[]";
    case DUCKDB_TYPE_ARRAY:
      return TypeName(type.children.at(0)) + "[" + std::to_string(type.array_size) + "]";
    case DUCKDB_TYPE_MAP:
      return "MAP(" + TypeName(type.children.at(0)) + ", " + TypeName(type.children.at(1)) + ")";
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_UNION: {
      std::string out = type.id == DUCKDB_TYPE_STRUCT ? "STRUCT(" : "UNION(";
      for (size_t i = 0; i < type.children.size(); ++i) {
        if (i) out += ", ";
        out += QuoteFieldName(type.names[i]) + " " + TypeName(type.children[i]);
      }
      return out + ")";
    }
    default:
      return "UNKNOWN(" + std::to_string(static_cast<int>(type.id)) + ")";
  }
}

ColumnType MapColumnType(const DuckType& type) {
  switch (type.id) {
    case DUCKDB_TYPE_BOOLEAN:
      return ColumnType::kBool;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
      return ColumnType::kInt64;
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_DECIMAL:
      return ColumnType::kDecimal;
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
      return ColumnType::kDouble;
    case DUCKDB_TYPE_VARCHAR:
      return type.is_json() ? ColumnType::kJson : ColumnType::kString;
    case DUCKDB_TYPE_DATE:
      return ColumnType::kDate;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return ColumnType::kTimestamp;
    case DUCKDB_TYPE_BLOB:
      return ColumnType::kBytes;
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY:
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_MAP:
    case DUCKDB_TYPE_UNION:
      return ColumnType::kJson;
    case DUCKDB_TYPE_SQLNULL:
      return ColumnType::kNull;
    default:
      // ENUM, TIME, TIME_NS, TIME_TZ, INTERVAL, UUID, BIT, BIGNUM.
      return ColumnType::kString;
  }
}

bool IsSupported(const DuckType& type) {
  switch (type.id) {
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_DATE:
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS:
    case DUCKDB_TYPE_TIME_TZ:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_INTERVAL:
    case DUCKDB_TYPE_UUID:
    case DUCKDB_TYPE_BIT:
    case DUCKDB_TYPE_BIGNUM:
    case DUCKDB_TYPE_SQLNULL:
      return true;
    case DUCKDB_TYPE_DECIMAL:
      return type.internal == DUCKDB_TYPE_SMALLINT || type.internal == DUCKDB_TYPE_INTEGER ||
             type.internal == DUCKDB_TYPE_BIGINT || type.internal == DUCKDB_TYPE_HUGEINT;
    case DUCKDB_TYPE_ENUM:
      return type.internal == DUCKDB_TYPE_UTINYINT || type.internal == DUCKDB_TYPE_USMALLINT ||
             type.internal == DUCKDB_TYPE_UINTEGER;
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY:
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_MAP:
    case DUCKDB_TYPE_UNION:
      for (const auto& child : type.children) {
        if (!IsSupported(child)) return false;
      }
      return type.id != DUCKDB_TYPE_MAP || type.children.size() == 2;
    default:
      return false;
  }
}

VectorReader::VectorReader(const DuckType& type, duckdb_vector vector)
    : type_(&type),
      data_(duckdb_vector_get_data(vector)),
      validity_(duckdb_vector_get_validity(vector)) {
  switch (type.id) {
    case DUCKDB_TYPE_LIST:
      children_.emplace_back(type.children[0], duckdb_list_vector_get_child(vector));
      break;
    case DUCKDB_TYPE_ARRAY:
      children_.emplace_back(type.children[0], duckdb_array_vector_get_child(vector));
      break;
    case DUCKDB_TYPE_MAP: {
      // A MAP is a LIST of STRUCT(key, value).
      duckdb_vector entries = duckdb_list_vector_get_child(vector);
      children_.emplace_back(type.children[0], duckdb_struct_vector_get_child(entries, 0));
      children_.emplace_back(type.children[1], duckdb_struct_vector_get_child(entries, 1));
      break;
    }
    case DUCKDB_TYPE_STRUCT:
      for (idx_t i = 0; i < type.children.size(); ++i) {
        children_.emplace_back(type.children[i], duckdb_struct_vector_get_child(vector, i));
      }
      break;
    case DUCKDB_TYPE_UNION:
      // Stored as a STRUCT whose first child is the member tag.
      children_.emplace_back(UnionTagType(), duckdb_struct_vector_get_child(vector, 0));
      for (idx_t i = 0; i < type.children.size(); ++i) {
        children_.emplace_back(type.children[i], duckdb_struct_vector_get_child(vector, i + 1));
      }
      break;
    default:
      break;
  }
}

std::string_view VectorReader::StringAt(idx_t row) const {
  auto* strings = static_cast<duckdb_string_t*>(const_cast<void*>(data_));
  duckdb_string_t* s = &strings[row];
  return {duckdb_string_t_data(s), duckdb_string_t_length(*s)};
}

std::string VectorReader::DecimalText(idx_t row) const {
  std::string digits;
  switch (type_->internal) {
    case DUCKDB_TYPE_SMALLINT:
      digits = std::to_string(At<int16_t>(data_, row));
      break;
    case DUCKDB_TYPE_INTEGER:
      digits = std::to_string(At<int32_t>(data_, row));
      break;
    case DUCKDB_TYPE_BIGINT:
      digits = std::to_string(At<int64_t>(data_, row));
      break;
    default: {
      auto v = At<duckdb_hugeint>(data_, row);
      digits = HugeintToString(v.lower, v.upper);
    }
  }
  return ScaleDigits(digits, type_->scale);
}

int64_t VectorReader::TimestampMicros(idx_t row) const {
  int64_t micros = 0;
  switch (type_->id) {
    case DUCKDB_TYPE_TIMESTAMP_S: {
      auto v = At<duckdb_timestamp_s>(data_, row);
      micros = duckdb_is_finite_timestamp_s(v) ? SaturatingMultiply(v.seconds, kMicrosPerSecond)
                                               : v.seconds;
      break;
    }
    case DUCKDB_TYPE_TIMESTAMP_MS: {
      auto v = At<duckdb_timestamp_ms>(data_, row);
      micros = duckdb_is_finite_timestamp_ms(v) ? SaturatingMultiply(v.millis, 1000) : v.millis;
      break;
    }
    case DUCKDB_TYPE_TIMESTAMP_NS: {
      auto v = At<duckdb_timestamp_ns>(data_, row);
      micros = duckdb_is_finite_timestamp_ns(v) ? FloorDivide(v.nanos, 1000) : v.nanos;
      break;
    }
    default:  // TIMESTAMP and TIMESTAMP WITH TIME ZONE: UTC microseconds.
      micros = At<int64_t>(data_, row);
  }
  return micros < kMinTimestampMicros ? kMinTimestampMicros : micros;
}

std::string VectorReader::ScalarText(idx_t row) const {
  switch (type_->id) {
    case DUCKDB_TYPE_UBIGINT:
      return std::to_string(At<uint64_t>(data_, row));
    case DUCKDB_TYPE_HUGEINT: {
      auto v = At<duckdb_hugeint>(data_, row);
      return HugeintToString(v.lower, v.upper);
    }
    case DUCKDB_TYPE_UHUGEINT: {
      auto v = At<duckdb_uhugeint>(data_, row);
      return UhugeintToString(v.lower, v.upper);
    }
    case DUCKDB_TYPE_DECIMAL:
      return DecimalText(row);
    case DUCKDB_TYPE_VARCHAR:
      return std::string(StringAt(row));
    case DUCKDB_TYPE_ENUM: {
      uint64_t index = 0;
      switch (type_->internal) {
        case DUCKDB_TYPE_UTINYINT:
          index = At<uint8_t>(data_, row);
          break;
        case DUCKDB_TYPE_USMALLINT:
          index = At<uint16_t>(data_, row);
          break;
        default:
          index = At<uint32_t>(data_, row);
      }
      return index < type_->enum_values.size() ? type_->enum_values[index] : std::string();
    }
    case DUCKDB_TYPE_TIME:
      return FormatTimeOfDay(At<int64_t>(data_, row), kMicrosPerSecond, 6);
    case DUCKDB_TYPE_TIME_NS:
      return FormatTimeOfDay(At<int64_t>(data_, row), 1'000'000'000, 9);
    case DUCKDB_TYPE_TIME_TZ: {
      duckdb_time_tz_struct tz = duckdb_from_time_tz(At<duckdb_time_tz>(data_, row));
      const int64_t micros =
          ((int64_t{tz.time.hour} * 60 + tz.time.min) * 60 + tz.time.sec) * kMicrosPerSecond +
          tz.time.micros;
      return FormatTimeOfDay(micros, kMicrosPerSecond, 6) + FormatOffset(tz.offset);
    }
    case DUCKDB_TYPE_INTERVAL: {
      auto v = At<duckdb_interval>(data_, row);
      return FormatInterval(v.months, v.days, v.micros);
    }
    case DUCKDB_TYPE_UUID:
      return FormatUuid(At<duckdb_hugeint>(data_, row));
    case DUCKDB_TYPE_BIT:
      return FormatBit(StringAt(row));
    case DUCKDB_TYPE_BIGNUM:
      return FormatBignum(StringAt(row));
    default:
      return {};
  }
}

void VectorReader::AppendTo(idx_t row, ColumnData& out) const {
  if (!IsValid(row)) return out.AppendNull();
  switch (type_->id) {
    case DUCKDB_TYPE_BOOLEAN:
      return out.AppendBool(At<uint8_t>(data_, row) != 0);
    case DUCKDB_TYPE_TINYINT:
      return out.AppendInt(At<int8_t>(data_, row));
    case DUCKDB_TYPE_SMALLINT:
      return out.AppendInt(At<int16_t>(data_, row));
    case DUCKDB_TYPE_INTEGER:
      return out.AppendInt(At<int32_t>(data_, row));
    case DUCKDB_TYPE_BIGINT:
      return out.AppendInt(At<int64_t>(data_, row));
    case DUCKDB_TYPE_UTINYINT:
      return out.AppendInt(At<uint8_t>(data_, row));
    case DUCKDB_TYPE_USMALLINT:
      return out.AppendInt(At<uint16_t>(data_, row));
    case DUCKDB_TYPE_UINTEGER:
      return out.AppendInt(At<uint32_t>(data_, row));
    case DUCKDB_TYPE_FLOAT:
      return out.AppendDouble(FloatToDouble(At<float>(data_, row)));
    case DUCKDB_TYPE_DOUBLE:
      return out.AppendDouble(At<double>(data_, row));
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
      return out.AppendString(std::string(StringAt(row)));
    case DUCKDB_TYPE_DATE:
      return out.AppendInt(At<int32_t>(data_, row));
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return out.AppendInt(TimestampMicros(row));
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY:
    case DUCKDB_TYPE_STRUCT:
    case DUCKDB_TYPE_MAP:
    case DUCKDB_TYPE_UNION: {
      std::string json;
      WriteJson(row, json);
      return out.AppendString(std::move(json));
    }
    case DUCKDB_TYPE_SQLNULL:
      return out.AppendNull();
    default:
      return out.AppendString(ScalarText(row));
  }
}

void VectorReader::WriteJson(idx_t row, std::string& out) const {
  if (!IsValid(row)) {
    out += "null";
    return;
  }
  switch (type_->id) {
    case DUCKDB_TYPE_BOOLEAN:
      out += At<uint8_t>(data_, row) != 0 ? "true" : "false";
      return;
    case DUCKDB_TYPE_TINYINT:
      out += std::to_string(At<int8_t>(data_, row));
      return;
    case DUCKDB_TYPE_SMALLINT:
      out += std::to_string(At<int16_t>(data_, row));
      return;
    case DUCKDB_TYPE_INTEGER:
      out += std::to_string(At<int32_t>(data_, row));
      return;
    case DUCKDB_TYPE_BIGINT:
      out += std::to_string(At<int64_t>(data_, row));
      return;
    case DUCKDB_TYPE_UTINYINT:
      out += std::to_string(At<uint8_t>(data_, row));
      return;
    case DUCKDB_TYPE_USMALLINT:
      out += std::to_string(At<uint16_t>(data_, row));
      return;
    case DUCKDB_TYPE_UINTEGER:
      out += std::to_string(At<uint32_t>(data_, row));
      return;
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_DECIMAL:
      // Exact digits as a JSON number token, like the top-level decimal type.
      out += ScalarText(row);
      return;
    case DUCKDB_TYPE_FLOAT:
      AppendJsonDouble(FloatToDouble(At<float>(data_, row)), out);
      return;
    case DUCKDB_TYPE_DOUBLE:
      AppendJsonDouble(At<double>(data_, row), out);
      return;
    case DUCKDB_TYPE_VARCHAR:
      if (type_->is_json()) {
        std::string_view doc = StringAt(row);
        out += doc.empty() ? std::string_view("null") : doc;
      } else {
        AppendJsonString(StringAt(row), out);
      }
      return;
    case DUCKDB_TYPE_BLOB:
      AppendJsonString(Base64Encode(StringAt(row)), out);
      return;
    case DUCKDB_TYPE_DATE:
      AppendJsonString(FormatDate(At<int32_t>(data_, row)), out);
      return;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      AppendJsonString(FormatTimestamp(TimestampMicros(row)), out);
      return;
    case DUCKDB_TYPE_LIST: {
      auto entry = At<duckdb_list_entry>(data_, row);
      out.push_back('[');
      for (idx_t i = 0; i < entry.length; ++i) {
        if (i) out.push_back(',');
        children_[0].WriteJson(entry.offset + i, out);
      }
      out.push_back(']');
      return;
    }
    case DUCKDB_TYPE_ARRAY: {
      const idx_t size = type_->array_size;
      out.push_back('[');
      for (idx_t i = 0; i < size; ++i) {
        if (i) out.push_back(',');
        children_[0].WriteJson(row * size + i, out);
      }
      out.push_back(']');
      return;
    }
    case DUCKDB_TYPE_STRUCT: {
      out.push_back('{');
      for (size_t i = 0; i < children_.size(); ++i) {
        if (i) out.push_back(',');
        AppendJsonString(type_->names[i], out);
        out.push_back(':');
        children_[i].WriteJson(row, out);
      }
      out.push_back('}');
      return;
    }
    case DUCKDB_TYPE_MAP: {
      auto entry = At<duckdb_list_entry>(data_, row);
      const DuckType& key_type = type_->children[0];
      const bool as_object = (key_type.id == DUCKDB_TYPE_VARCHAR && !key_type.is_json()) ||
                             key_type.id == DUCKDB_TYPE_ENUM;
      out.push_back(as_object ? '{' : '[');
      for (idx_t i = 0; i < entry.length; ++i) {
        const idx_t at = entry.offset + i;
        if (i) out.push_back(',');
        if (as_object) {
          // MAP keys cannot be NULL in DuckDB; an empty key is the safe fallback anyway.
          AppendJsonString(children_[0].IsValid(at) ? children_[0].ScalarText(at) : "", out);
          out.push_back(':');
          children_[1].WriteJson(at, out);
        } else {
          out += "{\"key\":";
          children_[0].WriteJson(at, out);
          out += ",\"value\":";
          children_[1].WriteJson(at, out);
          out.push_back('}');
        }
      }
      out.push_back(as_object ? '}' : ']');
      return;
    }
    case DUCKDB_TYPE_UNION: {
      const uint8_t tag = At<uint8_t>(children_[0].data_, row);
      if (static_cast<size_t>(tag) + 1 >= children_.size()) {
        out += "null";
      } else {
        children_[tag + 1].WriteJson(row, out);
      }
      return;
    }
    case DUCKDB_TYPE_SQLNULL:
      out += "null";
      return;
    default:
      AppendJsonString(ScalarText(row), out);
      return;
  }
}

}  // namespace tributary::duckdb_internal
