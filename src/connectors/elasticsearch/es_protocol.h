// The pure pieces of the Elasticsearch/OpenSearch connector: type mapping (SQL result types
// and index-mapping field types), the mapping of ES/OpenSearch error bodies to Status codes,
// index-expression validation (a user's index name can never reach another endpoint), the
// flattening of `_mapping` answers into dotted field names, and cell conversion from JSON.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/value.h"

namespace tributary::es {

enum class Flavor { kUnknown, kElasticsearch, kOpenSearch };

//! "elasticsearch" or "opensearch" ("unknown" before detection).
std::string_view FlavorName(Flavor flavor);

//! The column type of an SQL result column type: ES SQL (`long`, `datetime`, `date`,
//! `keyword`, `object`, ...) and OpenSearch's jdbc schema (`timestamp`, `date`, ...). Types
//! with no scalar equivalent (object, nested, geo_*, unsupported) are kJson.
ColumnType MapSqlType(std::string_view type);

//! The column type of an index-mapping field type: `date` and `date_nanos` are timestamps here
//! (a mapping `date` is a point in time), object/nested/flattened/geo types are kJson.
ColumnType MapFieldType(std::string_view type);

//! One leaf field of an index mapping: dotted name ("user.name") and the ES type.
struct MappedField {
  std::string name;
  std::string type;
};

//! Flattens a `GET /<index>/_mapping` answer ({"idx":{"mappings":{"properties":{...}}}})
//! into dotted leaf fields, merging the indices (a field mapped differently in two indices gets
//! both types, "long|keyword", which MapFieldType reads as JSON).
//! `object` fields are descended into; `nested` fields stay one field of type `nested`;
//! multi-fields (`fields`) are not listed. Fields keep first-seen order. `index_count` gets
//! the number of indices in the answer.
Result<std::vector<MappedField>> FlattenMapping(std::string_view mapping_json,
                                                size_t* index_count = nullptr);

//! OK when `index` is a safe index expression: names, aliases, data streams, wildcards (`*`),
//! comma-separated lists and `-name` exclusions, made of [a-zA-Z0-9._*,+-] only, no empty
//! element, no element "." or "..", none starting with `_` (the API namespace). QUERY_ERROR
//! naming the bad character otherwise. The result is still percent-encoded in URLs.
Status ValidateIndexExpression(std::string_view index);

//! Everything about one error answer that the mapping needs.
struct ErrorInfo {
  std::string type;    //!< root cause type, else the top-level type ("index_not_found_exception")
  std::string reason;  //!< root cause reason, else the top-level reason
  std::string index;   //!< the index named in the error, when any
};

//! Reads an ES error body ({"error":{"root_cause":[...],"type","reason"},"status"}), an
//! OpenSearch SQL error ({"error":{"reason","details","type"},"status"}) or a plain
//! "error":"text" answer; a body that is none of these gives its first 200 bytes as reason.
ErrorInfo ParseErrorBody(std::string_view body);

//! Maps an HTTP error answer to a Status: 401 -> UNAVAILABLE "authentication failed for
//! <who>", 403 -> PERMISSION_DENIED, index_not_found_exception / 404 -> NOT_FOUND,
//! 429 / es_rejected_execution_exception -> RESOURCE_EXHAUSTED, parse/verification/search
//! errors and other 4xx -> QUERY_ERROR, 5xx -> UNAVAILABLE. `where` names the source and
//! endpoint ("source 'logs' (POST /_sql)"); `who` the credential ("user 'bob'", "the API
//! key"), never a secret.
Status MapErrorResponse(long status, std::string_view body, std::string_view where,  // NOLINT
                        std::string_view who);

//! The JSON type of one raw value, as seen by the cell converter.
enum class JsonKind { kNull, kBool, kInt, kUInt, kDouble, kBigInt, kString, kArray, kObject };

//! Converts one JSON value (kind, and its scalar payload or raw text) to a cell of `type`.
//! `text` is the unescaped string for kString, the raw JSON for numbers, arrays and objects.
//! nullopt when the value does not fit the type (the caller then degrades the column to JSON).
struct RawCell {
  JsonKind kind = JsonKind::kNull;
  bool boolean = false;
  int64_t integer = 0;
  uint64_t unsigned_integer = 0;
  double number = 0;
  std::string text;
};
std::optional<Value> ConvertCell(const RawCell& cell, ColumnType type);
//! The cell as JSON text (strings quoted and escaped), for a column degraded to kJson.
std::string CellAsJson(const RawCell& cell);

}  // namespace tributary::es
