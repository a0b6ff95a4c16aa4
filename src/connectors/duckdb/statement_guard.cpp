#include "connectors/duckdb/statement_guard.h"

namespace tributary::duckdb_internal {

namespace {

std::string Trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string_view StatementTypeName(duckdb_statement_type type) {
  switch (type) {
    case DUCKDB_STATEMENT_TYPE_SELECT:
      return "SELECT";
    case DUCKDB_STATEMENT_TYPE_INSERT:
      return "INSERT";
    case DUCKDB_STATEMENT_TYPE_UPDATE:
      return "UPDATE";
    case DUCKDB_STATEMENT_TYPE_EXPLAIN:
      return "EXPLAIN";
    case DUCKDB_STATEMENT_TYPE_DELETE:
      return "DELETE";
    case DUCKDB_STATEMENT_TYPE_PREPARE:
      return "PREPARE";
    case DUCKDB_STATEMENT_TYPE_CREATE:
      return "CREATE";
    case DUCKDB_STATEMENT_TYPE_EXECUTE:
      return "EXECUTE";
    case DUCKDB_STATEMENT_TYPE_ALTER:
      return "ALTER";
    case DUCKDB_STATEMENT_TYPE_TRANSACTION:
      return "TRANSACTION";
    case DUCKDB_STATEMENT_TYPE_COPY:
      return "COPY";
    case DUCKDB_STATEMENT_TYPE_ANALYZE:
      return "ANALYZE";
    case DUCKDB_STATEMENT_TYPE_VARIABLE_SET:
    case DUCKDB_STATEMENT_TYPE_SET:
      return "SET";
    case DUCKDB_STATEMENT_TYPE_CREATE_FUNC:
      return "CREATE FUNCTION";
    case DUCKDB_STATEMENT_TYPE_DROP:
      return "DROP";
    case DUCKDB_STATEMENT_TYPE_EXPORT:
      return "EXPORT";
    case DUCKDB_STATEMENT_TYPE_PRAGMA:
      return "PRAGMA";
    case DUCKDB_STATEMENT_TYPE_VACUUM:
      return "VACUUM";
    case DUCKDB_STATEMENT_TYPE_CALL:
      return "CALL";
    case DUCKDB_STATEMENT_TYPE_LOAD:
      return "LOAD";
    case DUCKDB_STATEMENT_TYPE_RELATION:
      return "RELATION";
    case DUCKDB_STATEMENT_TYPE_EXTENSION:
      return "EXTENSION";
    case DUCKDB_STATEMENT_TYPE_LOGICAL_PLAN:
      return "LOGICAL PLAN";
    case DUCKDB_STATEMENT_TYPE_ATTACH:
      return "ATTACH";
    case DUCKDB_STATEMENT_TYPE_DETACH:
      return "DETACH";
    case DUCKDB_STATEMENT_TYPE_MULTI:
      return "MULTI";
    default:
      // DuckDB 1.4 reports e.g. MERGE INTO and UPDATE EXTENSIONS as INVALID.
      return "UNKNOWN";
  }
}

Status StatusFromDuckDbMessage(std::string_view message) {
  std::string text = Trimmed(message);
  if (text.empty()) text = "DuckDB reported an error without a message";
  if (StartsWith(text, "Permission Error")) return PermissionDenied(std::move(text));
  if (StartsWith(text, "Out of Memory Error")) return ResourceExhausted(std::move(text));
  return QueryError(std::move(text));
}

Status StatusFromDuckDbError(duckdb_error_type type, std::string_view message) {
  switch (type) {
    case DUCKDB_ERROR_PERMISSION:
      return PermissionDenied(Trimmed(message));
    case DUCKDB_ERROR_OUT_OF_MEMORY:
      return ResourceExhausted(Trimmed(message));
    default:
      return StatusFromDuckDbMessage(message);
  }
}

Result<PreparedHandle> PrepareGuarded(duckdb_connection connection, std::string_view sql,
                                      bool skip_type_check) {
  // The C API takes a NUL-terminated string: text after an embedded NUL would be invisible
  // to the parser, so refuse rather than run a prefix of what the caller sent.
  if (sql.find('\0') != std::string_view::npos) {
    return QueryError("the query contains a NUL character");
  }
  const std::string text(sql);
  ExtractedHandle extracted;
  const idx_t count = duckdb_extract_statements(connection, text.c_str(), extracted.out());
  if (count == 0) {
    const char* error = duckdb_extract_statements_error(extracted.get());
    if (error == nullptr || *error == '\0') return QueryError("empty query");
    return StatusFromDuckDbMessage(error);
  }
  if (count > 1) {
    return QueryError("only one statement is allowed, found " + std::to_string(count));
  }
  PreparedHandle prepared;
  if (duckdb_prepare_extracted_statement(connection, extracted.get(), 0, prepared.out()) ==
      DuckDBError) {
    const char* error = duckdb_prepare_error(prepared.get());
    return StatusFromDuckDbMessage(error ? error : "");
  }
  const duckdb_statement_type type = duckdb_prepared_statement_type(prepared.get());
  if (!skip_type_check && type != DUCKDB_STATEMENT_TYPE_SELECT) {
    const std::string_view name = StatementTypeName(type);
    const bool vowel = name.find_first_of("AEIOU") == 0;
    return PermissionDenied(std::string("only read-only SELECT statements are allowed; this is ") +
                            (vowel ? "an " : "a ") + std::string(name) + " statement");
  }
  return prepared;
}

}  // namespace tributary::duckdb_internal
