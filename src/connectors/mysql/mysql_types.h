// MySQL/MariaDB result metadata -> Tributary column types, and the engine's type names.
//
// Mapping (result columns of server-side prepared statements):
// - TINYINT with display width 1 (TINYINT(1), MySQL's BOOL) -> kBool; any other TINYINT,
//   SMALLINT, MEDIUMINT, INT, BIGINT, YEAR and BIT -> kInt64. BIGINT UNSIGNED -> kDecimal
//   (its values may exceed int64). BIT(64) values above 2^63-1 wrap around.
// - DECIMAL -> kDecimal (exact text); FLOAT, DOUBLE -> kDouble (FLOAT by its shortest text).
// - CHAR, VARCHAR, TEXT, ENUM, SET, TIME ("[-]HH:MM:SS[.ffffff]"), UUID, INET6 -> kString.
// - JSON -> kJson: MySQL's JSON type, or MariaDB's JSON alias (a LONGTEXT the server marks
//   with the "json" format in its extended metadata).
// - DATE -> kDate; DATETIME and TIMESTAMP -> kTimestamp in UTC micros (every session runs with
//   time_zone '+00:00'; a DATETIME is taken as UTC). Zero dates ('0000-00-00') become NULL.
// - BINARY, VARBINARY, BLOB (binary charset 63) and GEOMETRY (WKB) -> kBytes.
// Thread-safety: pure functions.
#pragma once

#include <mysql.h>

#include <string>

#include "core/value.h"

namespace tributary::mysql_internal {

//! How a result column is fetched into a client buffer.
enum class FetchKind {
  kSigned,    //!< MYSQL_TYPE_LONGLONG, signed
  kUnsigned,  //!< MYSQL_TYPE_LONGLONG, unsigned
  kFloat,     //!< MYSQL_TYPE_FLOAT
  kDouble,    //!< MYSQL_TYPE_DOUBLE
  kDate,      //!< MYSQL_TYPE_DATE into MYSQL_TIME
  kDateTime,  //!< MYSQL_TYPE_DATETIME into MYSQL_TIME
  kBits,      //!< raw big-endian bytes of a BIT value
  kText,      //!< text or raw bytes
};

struct MySqlColumnType {
  ColumnType type = ColumnType::kNull;
  FetchKind fetch = FetchKind::kText;
  //! The engine's name, e.g. "BIGINT UNSIGNED", "DECIMAL(20,6)", "VARCHAR", "JSON".
  std::string source_type;
};

//! Maps one field of a result's metadata (with MariaDB's extended type info when present).
MySqlColumnType MapField(const MYSQL_FIELD& field);

}  // namespace tributary::mysql_internal
