#include "connectors/json_api/json_api_spec.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "connectors/common/http_client.h"

namespace tributary::json_api {

namespace {

constexpr int64_t kDefaultMaxPages = 100;

const std::vector<std::string> kTableKeys = {"path", "defaults", "records", "columns",
                                             "pagination"};
const std::vector<std::string> kColumnKeys = {"pointer", "type"};
const std::vector<std::string> kTypeNames = {"string",    "int64",        "double", "bool", "date",
                                             "timestamp", "decimal(p,s)", "json",   "bytes"};

bool IsIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string JoinList(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A copy of `tree` with paths filled in when it was built in code (no config file).
OptionTree WithPaths(const OptionTree& tree, const std::string& name) {
  OptionTree copy = tree;
  if (copy.path.empty()) copy.AssignPaths(name);
  return copy;
}

Result<std::vector<std::string>> PointerOption(const OptionTree& node, bool allow_root) {
  TRIB_ASSIGN_OR_RETURN(std::string text, TreeString(node));
  auto tokens = ParseJsonPointer(text);
  if (!tokens) {
    return TreeError(node, "'" + text +
                               "' is not a JSON Pointer (RFC 6901); write it as /field/sub "
                               "with ~1 for '/' and ~0 for '~' inside a name, e.g. /data");
  }
  if (!allow_root && tokens->empty()) {
    return TreeError(node, "the pointer must name a field, e.g. /id (\"\" is the whole record)");
  }
  return *tokens;
}

Status ParseColumnType(const OptionTree& node, ColumnSpec& column) {
  TRIB_ASSIGN_OR_RETURN(std::string text, TreeString(node));
  column.type_text = text;
  const std::string type = Lower(text);
  struct Simple {
    const char* name;
    FieldType type;
    const char* duckdb;
    ColumnType column;
  };
  static const Simple kSimple[] = {
      {"string", FieldType::kString, "VARCHAR", ColumnType::kString},
      {"int64", FieldType::kInt64, "BIGINT", ColumnType::kInt64},
      {"double", FieldType::kDouble, "DOUBLE", ColumnType::kDouble},
      {"bool", FieldType::kBool, "BOOLEAN", ColumnType::kBool},
      {"date", FieldType::kDate, "DATE", ColumnType::kDate},
      {"timestamp", FieldType::kTimestamp, "TIMESTAMP", ColumnType::kTimestamp},
      {"json", FieldType::kJson, "JSON", ColumnType::kJson},
      {"bytes", FieldType::kBytes, "BLOB", ColumnType::kBytes},
  };
  for (const auto& s : kSimple) {
    if (type == s.name) {
      column.type = s.type;
      column.duckdb_type = s.duckdb;
      column.column_type = s.column;
      return Status::Ok();
    }
  }
  // decimal(p,s), p in 1..38, s in 0..p.
  int width = 0, scale = 0;
  char tail = 0;
  if (type.rfind("decimal(", 0) == 0 &&
      std::sscanf(type.c_str(), "decimal(%d,%d%c", &width, &scale, &tail) == 3 && tail == ')' &&
      type.back() == ')' && width >= 1 && width <= 38 && scale >= 0 && scale <= width) {
    column.type = FieldType::kDecimal;
    column.width = width;
    column.scale = scale;
    column.duckdb_type = "DECIMAL(" + std::to_string(width) + "," + std::to_string(scale) + ")";
    column.column_type = ColumnType::kDecimal;
    return Status::Ok();
  }
  std::string problem = "unknown column type '" + text + "'; use one of " + JoinList(kTypeNames) +
                        " (decimal: precision 1..38, scale 0..precision, e.g. decimal(12,2))";
  return TreeError(node, problem);
}

Status ParsePagination(const OptionTree& node, PaginationSpec& out) {
  TRIB_RETURN_IF_ERROR(
      CheckTreeKeys(node, {"type", "pointer", "param", "start", "size_param", "size"}, {"type"}));
  const OptionTree* type_node = node.Find("type");
  TRIB_ASSIGN_OR_RETURN(std::string type, TreeString(*type_node));
  std::vector<std::string> allowed = {"type"};
  std::vector<std::string> required = {"type"};
  if (type == "next_link") {
    out.kind = PaginationSpec::Kind::kNextLink;
    allowed.push_back("pointer");
    required.push_back("pointer");
  } else if (type == "link_header") {
    out.kind = PaginationSpec::Kind::kLinkHeader;
  } else if (type == "cursor") {
    out.kind = PaginationSpec::Kind::kCursor;
    allowed.insert(allowed.end(), {"pointer", "param"});
    required.insert(required.end(), {"pointer", "param"});
  } else if (type == "page") {
    out.kind = PaginationSpec::Kind::kPage;
    allowed.insert(allowed.end(), {"param", "start", "size_param", "size"});
    required.push_back("param");
  } else if (type == "none") {
    out.kind = PaginationSpec::Kind::kNone;
  } else {
    return TreeError(*type_node, "unknown pagination type '" + type +
                                     "'; use next_link (URL in the body), link_header (Link: "
                                     "rel=\"next\"), cursor, page or none");
  }
  // The keys of the other types are errors here: a `param` on next_link would be ignored.
  TRIB_RETURN_IF_ERROR(CheckTreeKeys(node, allowed, required));
  if (const OptionTree* p = node.Find("pointer")) {
    out.pointer_text = p->scalar;
    TRIB_ASSIGN_OR_RETURN(out.pointer, PointerOption(*p, /*allow_root=*/false));
  }
  if (const OptionTree* p = node.Find("param")) {
    TRIB_ASSIGN_OR_RETURN(out.param, TreeString(*p));
    if (out.param.empty()) return TreeError(*p, "the parameter name is empty; e.g. param: page");
  }
  if (const OptionTree* p = node.Find("start")) {
    TRIB_ASSIGN_OR_RETURN(out.start, TreeInt(*p, 0, 1'000'000'000));
  }
  if (const OptionTree* p = node.Find("size_param")) {
    TRIB_ASSIGN_OR_RETURN(out.size_param, TreeString(*p));
  }
  if (const OptionTree* p = node.Find("size")) {
    TRIB_ASSIGN_OR_RETURN(out.size, TreeInt(*p, 1, 1'000'000));
  }
  if (!out.size_param.empty() && out.size == 0) {
    return TreeError(node, "size_param is set but size is not; add size: <records per page>", true);
  }
  return Status::Ok();
}

Result<TableSpec> ParseTable(const std::string& name, const OptionTree& node) {
  TableSpec table;
  table.name = name;
  if (!IsIdentifier(name)) {
    return TreeError(node,
                     "table name '" + name +
                         "' is not a plain SQL identifier; use letters, digits and '_' (not "
                         "starting with a digit), e.g. customers",
                     true);
  }
  TRIB_RETURN_IF_ERROR(CheckTreeKeys(node, kTableKeys, {"path", "records", "columns"}));
  const OptionTree& path_node = *node.Find("path");
  TRIB_ASSIGN_OR_RETURN(table.path_text, TreeString(path_node));
  if (table.path_text.empty() || table.path_text[0] != '/') {
    return TreeError(path_node,
                     "the path must start with '/', relative to base_url, e.g. "
                     "/v1/customers?since={since}");
  }
  auto url = ParseUrlTemplate(table.path_text);
  if (!url.ok()) return TreeError(path_node, url.status().message());
  table.path = std::move(url).value();

  if (const OptionTree* defaults = node.Find("defaults")) {
    TRIB_ASSIGN_OR_RETURN(table.defaults, TreeStringMap(*defaults));
    for (const auto& [key, value] : defaults->fields) {
      if (std::find(table.path.variables.begin(), table.path.variables.end(), key) ==
          table.path.variables.end()) {
        std::string used;
        for (const auto& v : table.path.variables) used += (used.empty() ? "{" : ", {") + v + "}";
        return TreeError(value,
                         "the path has no placeholder {" + key + "}; the path uses " +
                             (used.empty() ? std::string("none") : used) +
                             ": remove this default or add {" + key + "} to the path",
                         true);
      }
    }
  }
  const OptionTree& records_node = *node.Find("records");
  table.records_text = records_node.scalar;
  TRIB_ASSIGN_OR_RETURN(table.records, PointerOption(records_node, /*allow_root=*/true));

  const OptionTree& columns_node = *node.Find("columns");
  if (!columns_node.is_map() || columns_node.fields.empty()) {
    return TreeError(columns_node,
                     "expected a mapping of columns with at least one entry; write e.g. "
                     "id: {pointer: /id, type: int64}");
  }
  for (const auto& [column_name, column_node] : columns_node.fields) {
    if (!IsIdentifier(column_name)) {
      return TreeError(column_node,
                       "column name '" + column_name +
                           "' is not a plain SQL identifier; use letters, digits and '_'",
                       true);
    }
    TRIB_RETURN_IF_ERROR(CheckTreeKeys(column_node, kColumnKeys, {"pointer", "type"}));
    ColumnSpec column;
    column.name = column_name;
    const OptionTree& pointer_node = *column_node.Find("pointer");
    column.pointer_text = pointer_node.scalar;
    TRIB_ASSIGN_OR_RETURN(column.pointer, PointerOption(pointer_node, /*allow_root=*/false));
    TRIB_RETURN_IF_ERROR(ParseColumnType(*column_node.Find("type"), column));
    // Each field is read once, in one pass over the record: a pointer may not repeat another
    // column's or lead inside it (declare the outer one as json and extract in SQL instead).
    for (const auto& other : table.columns) {
      const auto& a = other.pointer;
      const auto& b = column.pointer;
      const size_t common = std::min(a.size(), b.size());
      if (std::equal(a.begin(), a.begin() + common, b.begin())) {
        return TreeError(pointer_node,
                         "pointer " + column.pointer_text + " overlaps column " + other.name +
                             "'s pointer " + other.pointer_text +
                             "; give each column its own field (read nested values of a json "
                             "column in SQL, e.g. meta->>'id')");
      }
    }
    table.columns.push_back(std::move(column));
  }
  if (const OptionTree* pagination = node.Find("pagination")) {
    TRIB_RETURN_IF_ERROR(ParsePagination(*pagination, table.pagination));
  }
  return table;
}

Result<std::vector<TableSpec>> ParseTables(const OptionTree& tree) {
  if (!tree.is_map() || tree.fields.empty()) {
    return TreeError(tree,
                     "expected a mapping of tables with at least one entry; write e.g. "
                     "customers: {path: /v1/customers, records: /data, columns: ...}");
  }
  std::vector<TableSpec> tables;
  std::set<std::string> lowered;
  for (const auto& [name, node] : tree.fields) {
    TRIB_ASSIGN_OR_RETURN(TableSpec table, ParseTable(name, node));
    // SQL names are case-insensitive: "Customers" and "customers" would be one table.
    if (!lowered.insert(Lower(name)).second) {
      return TreeError(node,
                       "table '" + name +
                           "' differs from another only in case; SQL "
                           "cannot tell them apart: rename one",
                       true);
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

Result<AuthSpec> ParseAuth(const OptionTree& tree) {
  AuthSpec auth;
  // The type first: the keys allowed depend on it.
  if (!tree.is_map() || tree.Find("type") == nullptr) {
    TRIB_RETURN_IF_ERROR(CheckTreeKeys(tree, {"type", "token", "user", "password"}, {"type"}));
  }
  TRIB_ASSIGN_OR_RETURN(std::string type, TreeString(*tree.Find("type")));
  if (type == "bearer") {
    auth.kind = AuthSpec::Kind::kBearer;
    TRIB_RETURN_IF_ERROR(CheckTreeKeys(tree, {"type", "token"}, {"type", "token"}));
    TRIB_ASSIGN_OR_RETURN(auth.token, TreeString(*tree.Find("token"), /*secret=*/true));
    if (auth.token.empty()) {
      return TreeError(*tree.Find("token"),
                       "the token is empty; set it from the environment, e.g. token: ${API_TOKEN}");
    }
  } else if (type == "basic") {
    auth.kind = AuthSpec::Kind::kBasic;
    TRIB_RETURN_IF_ERROR(CheckTreeKeys(tree, {"type", "user", "password"}, {"type", "user"}));
    TRIB_ASSIGN_OR_RETURN(auth.user, TreeString(*tree.Find("user"), /*secret=*/true));
    if (const OptionTree* p = tree.Find("password")) {
      TRIB_ASSIGN_OR_RETURN(auth.password, TreeString(*p, /*secret=*/true));
    }
  } else {
    return TreeError(*tree.Find("type"),
                     "unknown auth type; use bearer (with token) or basic "
                     "(with user and password)");
  }
  return auth;
}

Status ValidateTables(const OptionTree& tree, const Options& options) {
  TRIB_ASSIGN_OR_RETURN(auto tables, ParseTables(tree));
  // The default health check fetches the first table's first page, which needs a value for
  // each of its placeholders.
  if (!options.Has("health_path")) {
    const TableSpec& first = tables.front();
    for (const auto& variable : first.path.variables) {
      if (first.defaults.count(variable) == 0) {
        return TreeError(*tree.Find(first.name),
                         "the health check fetches this first table's first page, but {" +
                             variable + "} has no default; add defaults: {" + variable +
                             ": ...} or set the source's health_path",
                         true);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

std::optional<std::vector<std::string>> ParseJsonPointer(std::string_view text) {
  std::vector<std::string> tokens;
  if (text.empty()) return tokens;
  if (text[0] != '/') return std::nullopt;
  text.remove_prefix(1);
  std::string current;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      tokens.push_back(std::move(current));
      current.clear();
      continue;
    }
    if (text[i] == '~') {
      if (i + 1 >= text.size() || (text[i + 1] != '0' && text[i + 1] != '1')) return std::nullopt;
      current += text[i + 1] == '0' ? '~' : '/';
      ++i;
      continue;
    }
    current += text[i];
  }
  return tokens;
}

Result<UrlTemplate> ParseUrlTemplate(std::string_view text) {
  UrlTemplate out;
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '}') {
      return InvalidArgument("a '}' at character " + std::to_string(i + 1) +
                             " closes no placeholder; write placeholders as {name}");
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    const size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos) {
      return InvalidArgument("the '{' at character " + std::to_string(i + 1) +
                             " is not closed; write placeholders as {name}");
    }
    const std::string name(text.substr(i + 1, close - i - 1));
    if (!IsIdentifier(name)) {
      return InvalidArgument("placeholder {" + name + "} at character " + std::to_string(i + 1) +
                             " does not name a value; use letters, digits and '_', e.g. {since}");
    }
    if (!literal.empty()) out.pieces.push_back({false, std::move(literal)});
    literal.clear();
    out.pieces.push_back({true, name});
    if (std::find(out.variables.begin(), out.variables.end(), name) == out.variables.end()) {
      out.variables.push_back(name);
    }
    i = close;
  }
  if (!literal.empty()) out.pieces.push_back({false, std::move(literal)});
  return out;
}

std::string ExpandUrlTemplate(const UrlTemplate& url,
                              const std::map<std::string, std::string>& values) {
  std::string out;
  for (const auto& piece : url.pieces) {
    if (!piece.is_variable) {
      out += piece.text;
      continue;
    }
    auto it = values.find(piece.text);
    if (it != values.end()) out += UrlEncode(it->second);
  }
  return out;
}

const TableSpec* ApiSpec::FindTable(std::string_view name) const {
  for (const auto& t : tables) {
    if (t.name.size() == name.size() &&
        std::equal(t.name.begin(), t.name.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return &t;
    }
  }
  return nullptr;
}

std::vector<std::string> ApiSpec::AllVariables() const {
  std::set<std::string> names;
  for (const auto& t : tables) names.insert(t.path.variables.begin(), t.path.variables.end());
  return {names.begin(), names.end()};
}

Result<ApiSpec> ParseApiSpec(const Options& options) {
  ApiSpec spec;
  spec.base_url = options.GetString("base_url");
  if (spec.base_url.rfind("http://", 0) != 0 && spec.base_url.rfind("https://", 0) != 0) {
    return ConfigError(options.LocationOf("base_url").ToString() +
                       ": base_url: expected an http:// or https:// URL, e.g. "
                       "https://api.example.com");
  }
  while (!spec.base_url.empty() && spec.base_url.back() == '/') spec.base_url.pop_back();
  for (const auto& [name, value] : options.GetStringMap("headers")) {
    const bool bad_name =
        name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
          return !(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
        });
    if (bad_name || value.find_first_of("\r\n") != std::string::npos) {
      return ConfigError(options.LocationOf("headers").ToString() + ": headers: header '" + name +
                         "' has an invalid name or a line break in its value; use names such "
                         "as X-Api-Key and single-line values");
    }
    spec.header_lines.push_back(name + ": " + value);
    if (!value.empty()) spec.secrets.push_back(value);
  }
  if (const OptionTree* auth = options.GetTree("auth")) {
    TRIB_ASSIGN_OR_RETURN(spec.auth, ParseAuth(WithPaths(*auth, "auth")));
    for (const std::string* s : {&spec.auth.token, &spec.auth.password}) {
      if (!s->empty()) spec.secrets.push_back(*s);
    }
  }
  spec.tls_verify = options.GetBool("tls_verify", true);
  spec.tls_ca_file = options.GetString("tls_ca_file");
  spec.max_connections = options.GetInt("max_connections", 4);
  spec.max_pages = options.GetInt("max_pages", kDefaultMaxPages);
  spec.cache_ttl = std::chrono::seconds(options.GetInt("cache_ttl_seconds", 0));
  spec.connect_timeout = std::chrono::milliseconds(options.GetInt("connect_timeout_ms", 10'000));
  spec.health_path = options.GetString("health_path");
  if (!spec.health_path.empty() && spec.health_path[0] != '/') {
    return ConfigError(options.LocationOf("health_path").ToString() +
                       ": health_path: must start with '/', relative to base_url, e.g. /health");
  }
  const OptionTree* tables = options.GetTree("tables");
  if (tables == nullptr) {
    return ConfigError("tables: missing; add tables: with at least one endpoint");
  }
  const OptionTree with_paths = WithPaths(*tables, "tables");
  TRIB_RETURN_IF_ERROR(ValidateTables(with_paths, options));
  TRIB_ASSIGN_OR_RETURN(spec.tables, ParseTables(with_paths));
  return spec;
}

OptionSchema JsonApiOptionSchema() {
  return {
      {.name = "base_url",
       .type = OptionType::kString,
       .required = true,
       .description = "the API's root URL, e.g. https://api.example.com"},
      {.name = "headers",
       .type = OptionType::kStringMap,
       .secret = true,
       .description = "extra request headers (values may be ${ENV} secrets)"},
      {.name = "auth",
       .type = OptionType::kTree,
       .secret = true,
       .description = "{type: bearer, token: ${ENV}} or {type: basic, user, password}",
       .validate = [](const OptionTree& tree, const Options&) { return ParseAuth(tree).status(); }},
      {.name = "tls_verify",
       .type = OptionType::kBool,
       .description = "verify the server certificate (default true)"},
      {.name = "tls_ca_file", .type = OptionType::kString, .description = "CA bundle file"},
      {.name = "max_connections",
       .type = OptionType::kInt,
       .description = "concurrent queries and HTTP connections (default 4)",
       .min = 1,
       .max = 256},
      {.name = "max_pages",
       .type = OptionType::kInt,
       .description = "pages fetched per table and query at most (default 100)",
       .min = 1,
       .max = 1'000'000},
      {.name = "cache_ttl_seconds",
       .type = OptionType::kInt,
       .description = "reuse fetched tables this long (default 0: fetch for every query)",
       .min = 0,
       .max = 86'400 * 7},
      {.name = "connect_timeout_ms",
       .type = OptionType::kInt,
       .description = "TCP/TLS connect timeout (default 10000)",
       .min = 1,
       .max = 600'000},
      {.name = "health_path",
       .type = OptionType::kString,
       .description = "path fetched by health checks (default: the first table's first page)"},
      {.name = "tables",
       .type = OptionType::kTree,
       .required = true,
       .description = "table name -> {path, defaults, records, columns, pagination}",
       .validate = ValidateTables},
  };
}

Result<std::map<std::string, std::string>> ResolveTemplateValues(
    const TableSpec& table, const std::map<std::string, std::string>& options) {
  std::map<std::string, std::string> values;
  for (const auto& variable : table.path.variables) {
    if (auto it = options.find(variable); it != options.end()) {
      values[variable] = it->second;
    } else if (auto d = table.defaults.find(variable); d != table.defaults.end()) {
      values[variable] = d->second;
    } else {
      return InvalidArgument("table " + table.name + " needs a value for {" + variable +
                             "} in its path " + table.path_text + ": pass the query option \"" +
                             variable + "\" (e.g. \"options\": {\"" + variable +
                             "\": \"...\"}) or set tables." + table.name + ".defaults." + variable +
                             " in the source config");
    }
  }
  return values;
}

std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 3) continue;  // too short to tell from ordinary text
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

std::string SourceTypeOf(const ColumnSpec& column) {
  return "json:" + column.pointer_text + " " + column.type_text;
}

}  // namespace tributary::json_api
