// The json_api connector's configuration, checked and compiled: base URL, headers, auth,
// pagination, and for each table its URL template, JSON Pointers and typed columns.
//
// ParseApiSpec is used twice: by the config loader (through the option schema's validate
// hooks, so every mistake is a CONFIG_ERROR with file:line:col) and by the connector when it
// opens (options built in code, e.g. by tests, go through the same checks).
// Also here: RFC 6901 JSON Pointers and `{name}` URL templates.
// Thread-safety: an ApiSpec is immutable after parsing; the functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/options.h"
#include "core/value.h"

namespace tributary::json_api {

//! RFC 6901 JSON Pointer reference tokens ("/a~1b/0" -> {"a/b", "0"}); "" is the whole
//! document. nullopt when the text is not a pointer (does not start with '/', or has a '~'
//! not followed by 0 or 1).
std::optional<std::vector<std::string>> ParseJsonPointer(std::string_view text);

//! A URL path-and-query with `{name}` placeholders, whose values are URL-encoded.
struct UrlTemplate {
  struct Piece {
    bool is_variable = false;
    //! Literal text, or the variable name.
    std::string text;
  };
  std::vector<Piece> pieces;
  //! Names of the placeholders, in order of first use.
  std::vector<std::string> variables;
};

//! Parses `{name}` placeholders (name: letters, digits, '_', not starting with a digit).
//! INVALID_ARGUMENT naming the problem for "{}", an unclosed '{', a stray '}' or a bad name.
Result<UrlTemplate> ParseUrlTemplate(std::string_view text);
//! The template with every placeholder replaced by its URL-encoded value; `values` must hold
//! every variable (see ResolveTemplateValues).
std::string ExpandUrlTemplate(const UrlTemplate& url,
                              const std::map<std::string, std::string>& values);

//! The declared type of a column, and how a JSON value converts to it.
enum class FieldType {
  kString,
  kInt64,
  kDouble,
  kBool,
  kDate,
  kTimestamp,
  kDecimal,
  kJson,
  kBytes
};

struct ColumnSpec {
  std::string name;
  //! The pointer as written, for messages and DescribeTable ("/contact/email").
  std::string pointer_text;
  std::vector<std::string> pointer;
  FieldType type = FieldType::kString;
  //! kDecimal: precision and scale.
  int width = 18;
  int scale = 3;
  //! The type as written ("int64", "decimal(12,2)").
  std::string type_text;
  //! The DuckDB column type it is loaded as ("BIGINT", "DECIMAL(12,2)").
  std::string duckdb_type;
  //! The Tributary column type a query returns for it.
  ColumnType column_type = ColumnType::kString;
};

struct PaginationSpec {
  enum class Kind { kNone, kNextLink, kLinkHeader, kCursor, kPage };
  Kind kind = Kind::kNone;
  //! kNextLink: the next page's URL; kCursor: the next cursor (both in the response body).
  std::string pointer_text;
  std::vector<std::string> pointer;
  //! kCursor: the query parameter that carries the cursor; kPage: the page number's.
  std::string param;
  //! kPage: the first page number, and the page size (0 = not sent; a short page then ends
  //! the listing only when it is empty).
  int64_t start = 1;
  std::string size_param;
  int64_t size = 0;
};

struct TableSpec {
  std::string name;
  std::string path_text;
  UrlTemplate path;
  //! Template values used when the query gives none.
  std::map<std::string, std::string> defaults;
  std::string records_text;
  std::vector<std::string> records;
  std::vector<ColumnSpec> columns;
  PaginationSpec pagination;
};

struct AuthSpec {
  enum class Kind { kNone, kBearer, kBasic };
  Kind kind = Kind::kNone;
  std::string token;
  std::string user;
  std::string password;
};

struct ApiSpec {
  //! Without a trailing '/'.
  std::string base_url;
  //! "Name: value" lines sent with every request.
  std::vector<std::string> header_lines;
  AuthSpec auth;
  bool tls_verify = true;
  std::string tls_ca_file;
  int64_t max_connections = 4;
  int64_t max_pages = 100;
  std::chrono::seconds cache_ttl{0};
  std::chrono::milliseconds connect_timeout{10'000};
  //! Path (and query) of the health check; empty: the first table's first page.
  std::string health_path;
  std::vector<TableSpec> tables;
  //! Every secret value (token, password, header values): removed from any text shown.
  std::vector<std::string> secrets;

  const TableSpec* FindTable(std::string_view name) const;
  //! Every template variable of every table, sorted (the query options accepted).
  std::vector<std::string> AllVariables() const;
};

//! Checks and compiles a source's options (see the file comment).
Result<ApiSpec> ParseApiSpec(const Options& options);

//! The option schema of the json_api connector, with the nested checks hooked in.
OptionSchema JsonApiOptionSchema();

//! The values of `table`'s template: the query's `options`, else the table's defaults.
//! INVALID_ARGUMENT naming the missing value and how to give it.
Result<std::map<std::string, std::string>> ResolveTemplateValues(
    const TableSpec& table, const std::map<std::string, std::string>& options);

//! `text` with every non-empty secret replaced by "***".
std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets);

//! "json:/contact/email string": the source_type DescribeTable and results report.
std::string SourceTypeOf(const ColumnSpec& column);

}  // namespace tributary::json_api
