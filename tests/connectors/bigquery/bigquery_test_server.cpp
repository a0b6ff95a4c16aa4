#include "connectors/bigquery/bigquery_test_server.h"

#include <duckdb.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <regex>
#include <set>

#include "core/encoding.h"
#include "core/time_util.h"
#include "support/local_http_server.h"

namespace tributary::bigquery_test {

namespace {

namespace json = boost::json;
using testing::LocalHttpRequest;
using testing::LocalHttpResponse;
using testing::LocalHttpServer;
using Clock = std::chrono::steady_clock;

struct KeyPair {
  std::string private_pem;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, &EVP_PKEY_free};
};

KeyPair GenerateKeyPair() {
  KeyPair pair;
  pair.key.reset(EVP_RSA_gen(2048));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), pair.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  pair.private_pem.assign(data, static_cast<size_t>(size));
  return pair;
}

LocalHttpResponse JsonAnswer(int status, const json::value& body) {
  LocalHttpResponse r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

// Google's error body for the API.
LocalHttpResponse ApiError(int status, const std::string& reason, const std::string& message,
                           const std::string& status_name) {
  json::object error{
      {"code", status},
      {"message", message},
      {"errors",
       json::array{json::object{{"message", message}, {"domain", "global"}, {"reason", reason}}}},
      {"status", status_name}};
  return JsonAnswer(status, json::object{{"error", error}});
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string SqlString(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// A query parameter as a DuckDB literal of its GoogleSQL type.
std::string ParamLiteral(const json::object& param) {
  std::string type = "STRING";
  if (auto* t = param.if_contains("parameterType"); t && t->is_object()) {
    if (auto* n = t->as_object().if_contains("type"); n && n->is_string()) {
      type = std::string(n->as_string());
    }
  }
  const json::value* value = nullptr;
  if (auto* pv = param.if_contains("parameterValue"); pv && pv->is_object()) {
    value = pv->as_object().if_contains("value");
  }
  static const std::map<std::string, std::string> kDuck = {
      {"INT64", "BIGINT"},          {"FLOAT64", "DOUBLE"},           {"BOOL", "BOOLEAN"},
      {"STRING", "VARCHAR"},        {"TIMESTAMP", "TIMESTAMP"},      {"DATE", "DATE"},
      {"NUMERIC", "DECIMAL(38,9)"}, {"BIGNUMERIC", "DECIMAL(38,9)"}, {"BYTES", "BLOB"},
      {"JSON", "VARCHAR"}};
  auto duck = kDuck.count(type) ? kDuck.at(type) : std::string("VARCHAR");
  if (!value || value->is_null()) return "CAST(NULL AS " + duck + ")";
  std::string text = value->is_string() ? std::string(value->as_string()) : json::serialize(*value);
  if (type == "BYTES") return "from_base64(" + SqlString(text) + ")";
  if (type == "TIMESTAMP") {
    // "YYYY-MM-DD HH:MM:SS.ffffff+00:00": the instant, as a naive UTC timestamp.
    auto micros = ParseTimestamp(text);
    if (micros) {
      std::string iso = FormatTimestamp(*micros);
      iso.pop_back();
      iso[10] = ' ';
      return "TIMESTAMP " + SqlString(iso);
    }
  }
  return "CAST(" + SqlString(text) + " AS " + duck + ")";
}

// GoogleSQL functions and types as DuckDB ones (macros created at start-up).
const std::map<std::string, std::string>& FunctionRenames() {
  static const std::map<std::string, std::string> m = {{"TIMESTAMP_MICROS", "bq_timestamp_micros"},
                                                       {"FORMAT_DATE", "bq_format_date"},
                                                       {"DATE_SUB", "bq_date_sub"},
                                                       {"DATE_ADD", "bq_date_add"},
                                                       {"TIMESTAMP_SUB", "bq_timestamp_sub"},
                                                       {"TIMESTAMP_ADD", "bq_timestamp_add"},
                                                       {"SAFE_DIVIDE", "bq_safe_divide"},
                                                       {"COUNTIF", "count_if"},
                                                       {"REGEXP_EXTRACT", "bq_regexp_extract"},
                                                       {"REGEXP_CONTAINS", "regexp_matches"},
                                                       {"DATE", "bq_date"},
                                                       {"LOGICAL_OR", "bool_or"},
                                                       {"LOGICAL_AND", "bool_and"},
                                                       {"SAFE_CAST", "TRY_CAST"},
                                                       {"UNIX_MICROS", "epoch_us"}};
  return m;
}

const std::map<std::string, std::string>& TypeRenames() {
  static const std::map<std::string, std::string> m = {
      {"INT64", "BIGINT"}, {"FLOAT64", "DOUBLE"},        {"STRING", "VARCHAR"},
      {"BOOL", "BOOLEAN"}, {"NUMERIC", "DECIMAL(38,9)"}, {"BIGNUMERIC", "DECIMAL(38,9)"},
      {"BYTES", "BLOB"}};
  return m;
}

constexpr const char* kMacros[] = {
    "CREATE MACRO bq_timestamp_micros(x) AS make_timestamp(CAST(x AS BIGINT))",
    "CREATE MACRO bq_format_date(f, d) AS strftime(CAST(d AS DATE), f)",
    "CREATE MACRO bq_date_sub(d, i) AS CAST(CAST(d AS DATE) - i AS DATE)",
    "CREATE MACRO bq_date_add(d, i) AS CAST(CAST(d AS DATE) + i AS DATE)",
    "CREATE MACRO bq_timestamp_sub(t, i) AS CAST(t AS TIMESTAMP) - i",
    "CREATE MACRO bq_timestamp_add(t, i) AS CAST(t AS TIMESTAMP) + i",
    "CREATE MACRO bq_safe_divide(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a / b END",
    "CREATE MACRO bq_regexp_extract(s, p) AS CASE WHEN regexp_matches(s, p) THEN "
    "regexp_extract(s, p, 1) ELSE NULL END",
    "CREATE MACRO bq_date(x) AS CAST(x AS DATE)",
};

// A BigQuery schema field of a DuckDB logical type.
json::object FieldOf(const std::string& name, duckdb_logical_type type) {
  json::object f{{"name", name}, {"mode", "NULLABLE"}};
  duckdb_type id = duckdb_get_type_id(type);
  if (id == DUCKDB_TYPE_LIST) {
    duckdb_logical_type child = duckdb_list_type_child_type(type);
    json::object inner = FieldOf(name, child);
    duckdb_destroy_logical_type(&child);
    inner["mode"] = "REPEATED";
    return inner;
  }
  if (id == DUCKDB_TYPE_STRUCT) {
    f["type"] = "RECORD";
    json::array fields;
    idx_t n = duckdb_struct_type_child_count(type);
    for (idx_t i = 0; i < n; ++i) {
      char* child_name = duckdb_struct_type_child_name(type, i);
      duckdb_logical_type child = duckdb_struct_type_child_type(type, i);
      fields.push_back(FieldOf(child_name, child));
      duckdb_free(child_name);
      duckdb_destroy_logical_type(&child);
    }
    f["fields"] = std::move(fields);
    return f;
  }
  switch (id) {
    case DUCKDB_TYPE_BOOLEAN:
      f["type"] = "BOOLEAN";
      break;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_HUGEINT:  // DuckDB's SUM of integers; GoogleSQL's is INT64
      f["type"] = "INTEGER";
      break;
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
      f["type"] = "FLOAT";
      break;
    case DUCKDB_TYPE_DECIMAL:
    case DUCKDB_TYPE_UBIGINT:
      f["type"] = duckdb_get_type_id(type) == DUCKDB_TYPE_DECIMAL && duckdb_decimal_scale(type) > 9
                      ? "BIGNUMERIC"
                      : "NUMERIC";
      break;
    case DUCKDB_TYPE_DATE:
      f["type"] = "DATE";
      break;
    case DUCKDB_TYPE_TIME:
      f["type"] = "TIME";
      break;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
      f["type"] = "TIMESTAMP";
      break;
    case DUCKDB_TYPE_BLOB:
      f["type"] = "BYTES";
      break;
    default:
      f["type"] = "STRING";
  }
  return f;
}

// "1.7952660002500E9": epoch seconds of UTC micros, in BigQuery's E notation.
std::string EpochSecondsText(int64_t micros) {
  bool negative = micros < 0;
  uint64_t m = negative ? static_cast<uint64_t>(-micros) : static_cast<uint64_t>(micros);
  std::string digits = std::to_string(m);
  // value = digits * 1e-6 = d.ddd * 10^(len-1-6)
  int exponent = static_cast<int>(digits.size()) - 1 - 6;
  std::string mantissa = digits.substr(0, 1);
  std::string rest = digits.substr(1);
  while (!rest.empty() && rest.back() == '0') rest.pop_back();
  if (!rest.empty()) mantissa += "." + rest;
  return (negative ? "-" : "") + mantissa + "E" + std::to_string(exponent);
}

// A to_json value of a field as BigQuery's cell value ({"v": ...} content).
json::value CellOf(const json::value& v, const json::object& field, bool in_repeated = false) {
  if (v.is_null()) return nullptr;
  std::string mode = field.contains("mode") ? std::string(field.at("mode").as_string()) : "";
  if (mode == "REPEATED" && !in_repeated) {
    json::array items;
    if (v.is_array()) {
      for (const auto& item : v.as_array()) {
        items.push_back(json::object{{"v", CellOf(item, field, true)}});
      }
    }
    return items;
  }
  std::string type(field.at("type").as_string());
  if (type == "RECORD") {
    json::array cells;
    for (const auto& sub : field.at("fields").as_array()) {
      const auto& sub_field = sub.as_object();
      std::string name(sub_field.at("name").as_string());
      const json::value* inner = v.is_object() ? v.as_object().if_contains(name) : nullptr;
      cells.push_back(json::object{{"v", inner ? CellOf(*inner, sub_field) : json::value()}});
    }
    return json::object{{"f", cells}};
  }
  if (type == "TIMESTAMP" && v.is_string()) {
    auto micros = ParseTimestamp(std::string(v.as_string()));
    return micros ? json::value(EpochSecondsText(*micros)) : v;
  }
  if ((type == "NUMERIC" || type == "BIGNUMERIC") && v.is_string()) {
    // BigQuery writes NUMERIC without trailing zeros: "12.34", not "12.340000000".
    std::string text(v.as_string());
    if (text.find('.') != std::string::npos) {
      while (text.back() == '0') text.pop_back();
      if (text.back() == '.') text.pop_back();
    }
    return json::value(text);
  }
  if (v.is_string()) return v;
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  return json::value(json::serialize(v));
}

struct Job {
  json::array fields;
  json::array rows;  // BigQuery rows {"f": [...]}
  bool slow = false;
  bool cancelled = false;
  int64_t bytes = 0;
};

}  // namespace

struct BigQueryTestServer::Impl {
  std::string project;
  KeyPair trusted;
  KeyPair untrusted;
  std::unique_ptr<LocalHttpServer> http;
  mutable std::mutex mu;  // DuckDB connection, jobs, tokens
  duckdb_database db = nullptr;
  duckdb_connection conn = nullptr;
  std::map<std::string, Job> jobs;
  std::map<std::string, Clock::time_point> tokens;
  std::map<std::string, std::string> table_types;  // "ds.t" -> VIEW/EXTERNAL
  std::vector<std::string> cancelled;
  std::string last_query_body;
  int next_job = 1;
  int next_token = 1;
  BigQueryTestServer* owner = nullptr;

  ~Impl() {
    if (conn) duckdb_disconnect(&conn);
    if (db) duckdb_close(&db);
  }

  // Runs SQL; "" or the error. Callers hold mu.
  std::string ExecLocked(const std::string& sql, duckdb_result* keep = nullptr) {
    duckdb_result result;
    if (duckdb_query(conn, sql.c_str(), &result) == DuckDBError) {
      std::string error = duckdb_result_error(&result);
      duckdb_destroy_result(&result);
      return error.empty() ? "DuckDB error" : error;
    }
    if (keep) {
      *keep = result;
    } else {
      duckdb_destroy_result(&result);
    }
    return "";
  }

  std::vector<std::string> TablesOf(const std::string& dataset) {
    std::vector<std::string> out;
    duckdb_result r;
    if (!ExecLocked("SELECT table_name FROM information_schema.tables WHERE table_schema = " +
                        SqlString(dataset) + " AND table_name NOT LIKE '%*' ORDER BY 1",
                    &r)
             .empty()) {
      return out;
    }
    for (idx_t i = 0; i < duckdb_row_count(&r); ++i) {
      char* v = duckdb_value_varchar(&r, 0, i);
      out.emplace_back(v);
      duckdb_free(v);
    }
    duckdb_destroy_result(&r);
    return out;
  }

  int64_t ScalarInt(const std::string& sql) {
    duckdb_result r;
    if (!ExecLocked(sql, &r).empty()) return 0;
    int64_t v = duckdb_row_count(&r) ? duckdb_value_int64(&r, 0, 0) : 0;
    duckdb_destroy_result(&r);
    return v;
  }

  // 8 bytes per cell of the table.
  int64_t TableBytes(const std::string& dataset, const std::string& table) {
    int64_t rows = ScalarInt("SELECT count(*) FROM \"" + dataset + "\".\"" + table + "\"");
    int64_t cols =
        ScalarInt("SELECT count(*) FROM information_schema.columns WHERE table_schema = " +
                  SqlString(dataset) + " AND table_name = " + SqlString(table));
    return rows * cols * 8;
  }

  // Creates (or refreshes) the wildcard view `dataset."prefix*"`; false without shards.
  bool EnsureWildcard(const std::string& dataset, const std::string& prefix,
                      std::vector<std::string>* shards) {
    std::string view;
    for (const auto& t : TablesOf(dataset)) {
      if (t.rfind(prefix, 0) != 0) continue;
      shards->push_back(t);
      if (!view.empty()) view += " UNION ALL BY NAME ";
      view += "SELECT *, " + SqlString(t.substr(prefix.size())) + " AS _TABLE_SUFFIX FROM \"" +
              dataset + "\".\"" + t + "\"";
    }
    if (view.empty()) return false;
    return ExecLocked("CREATE OR REPLACE VIEW \"" + dataset + "\".\"" + prefix + "*\" AS " + view)
        .empty();
  }

  // GoogleSQL -> DuckDB. Tables read are added to `read` as (dataset, table).
  std::string Translate(std::string sql, const json::array* params, bool named,
                        std::vector<std::pair<std::string, std::string>>* read,
                        std::string* error) {
    // Forms with keywords inside the call: rewritten before tokenizing.
    sql = std::regex_replace(
        sql, std::regex(R"(TIMESTAMP_TRUNC\(([^()]*),\s*(\w+)\))", std::regex::icase),
        "date_trunc('$2', $1)");
    sql = std::regex_replace(
        sql, std::regex(R"(EXTRACT\(\s*DAYOFWEEK\s+FROM\s+([^()]*)\))", std::regex::icase),
        "(dayofweek($1) + 1)");
    sql = std::regex_replace(
        sql, std::regex(R"(FROM\s+UNNEST\(([^()]*)\)\s+AS\s+(\w+))", std::regex::icase),
        "FROM (SELECT UNNEST($1) AS $2) AS $2__unnest");
    std::map<std::string, std::string> named_values;
    std::vector<std::string> positional;
    if (params) {
      for (const auto& p : *params) {
        if (!p.is_object()) continue;
        std::string literal = ParamLiteral(p.as_object());
        if (named) {
          if (auto* n = p.as_object().if_contains("name"); n && n->is_string()) {
            named_values[Upper(std::string(n->as_string()))] = literal;
          }
        } else {
          positional.push_back(literal);
        }
      }
    }
    size_t next_positional = 0;
    std::string out;
    size_t i = 0;
    auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    while (i < sql.size()) {
      char c = sql[i];
      if (c == '\'' || c == '"') {
        // A string literal (GoogleSQL takes both quotes; backslash escapes).
        std::string text;
        size_t j = i + 1;
        for (; j < sql.size() && sql[j] != c; ++j) {
          if (sql[j] == '\\' && j + 1 < sql.size()) {
            ++j;
            text += sql[j] == 'n' ? '\n' : sql[j];
          } else {
            text += sql[j];
          }
        }
        out += SqlString(text);
        i = j + 1;
      } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
        while (i < sql.size() && sql[i] != '\n') ++i;
      } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
        size_t end = sql.find("*/", i + 2);
        i = end == std::string::npos ? sql.size() : end + 2;
      } else if (c == '`') {
        size_t end = sql.find('`', i + 1);
        if (end == std::string::npos) {
          *error = "Syntax error: Unclosed identifier literal at [1:" + std::to_string(i + 1) + "]";
          return "";
        }
        std::string path = sql.substr(i + 1, end - i - 1);
        i = end + 1;
        std::vector<std::string> parts;
        for (size_t s = 0;;) {
          size_t dot = path.find('.', s);
          parts.push_back(path.substr(s, dot - s));
          if (dot == std::string::npos) break;
          s = dot + 1;
        }
        // Followed by `.name`: a continued path (`d`.`t`): treat as identifier parts only.
        if (parts.size() == 1) {
          out += "\"" + parts[0] + "\"";
          continue;
        }
        if (parts.size() == 3) parts.erase(parts.begin());  // project
        std::string dataset = parts[0], table = parts[1];
        if (!table.empty() && table.back() == '*') {
          std::vector<std::string> shards;
          std::string prefix = table.substr(0, table.size() - 1);
          if (!EnsureWildcard(dataset, prefix, &shards)) {
            *error = "notFound:Not found: Table " + project + ":" + dataset + "." + table +
                     " was not found in location US";
            return "";
          }
          for (const auto& s : shards) read->emplace_back(dataset, s);
        } else {
          read->emplace_back(dataset, table);
        }
        out += "\"" + dataset + "\".\"" + table + "\"";
      } else if (c == '@' && i + 1 < sql.size() && is_word(sql[i + 1])) {
        size_t j = i + 1;
        while (j < sql.size() && is_word(sql[j])) ++j;
        std::string name = sql.substr(i + 1, j - i - 1);
        auto it = named_values.find(Upper(name));
        if (it == named_values.end()) {
          *error = "Query parameter '" + name + "' not found at [1:" + std::to_string(i + 1) + "]";
          return "";
        }
        out += "(" + it->second + ")";
        i = j;
      } else if (c == '?') {
        if (next_positional >= positional.size()) {
          *error = "Not enough positional query parameters";
          return "";
        }
        out += "(" + positional[next_positional++] + ")";
        ++i;
      } else if (is_word(c) && !(i > 0 && (is_word(sql[i - 1]) || sql[i - 1] == '.'))) {
        size_t j = i;
        while (j < sql.size() && is_word(sql[j])) ++j;
        std::string word = sql.substr(i, j - i);
        std::string upper = Upper(word);
        size_t k = j;
        while (k < sql.size() && std::isspace(static_cast<unsigned char>(sql[k]))) ++k;
        const bool call = k < sql.size() && sql[k] == '(';
        if (call && FunctionRenames().count(upper)) {
          out += FunctionRenames().at(upper);
        } else if (!call && TypeRenames().count(upper)) {
          out += TypeRenames().at(upper);
        } else {
          out += word;
        }
        i = j;
      } else {
        out += c;
        ++i;
      }
    }
    if (next_positional != positional.size()) {
      *error = "Query has " + std::to_string(next_positional) + " positional parameters but " +
               std::to_string(positional.size()) + " were given";
      return "";
    }
    return out;
  }

  bool Authorized(const LocalHttpRequest& req) {
    std::string auth = req.Header("authorization");
    if (auth.rfind("Bearer ", 0) != 0) return false;
    std::lock_guard<std::mutex> lock(mu);
    auto it = tokens.find(auth.substr(7));
    return it != tokens.end() && Clock::now() < it->second;
  }

  std::string IssueToken() {
    std::lock_guard<std::mutex> lock(mu);
    std::string token = "ya29.test-" + std::to_string(next_token++);
    tokens[token] = Clock::now() + std::chrono::seconds(owner->token_lifetime_s.load());
    owner->tokens_issued++;
    return token;
  }

  LocalHttpResponse TokenAnswer() {
    return JsonAnswer(200, json::object{{"access_token", IssueToken()},
                                        {"expires_in", owner->token_lifetime_s.load()},
                                        {"token_type", "Bearer"}});
  }

  LocalHttpResponse RefuseGrant(const std::string& description) {
    owner->token_refusals++;
    return JsonAnswer(400,
                      json::object{{"error", "invalid_grant"}, {"error_description", description}});
  }

  // The JWT-bearer grant: the assertion's signature and claims are verified.
  LocalHttpResponse HandleToken(const LocalHttpRequest& req) {
    std::map<std::string, std::string> form;
    for (size_t s = 0; s <= req.body.size();) {
      size_t amp = req.body.find('&', s);
      std::string pair = req.body.substr(s, amp == std::string::npos ? std::string::npos : amp - s);
      size_t eq = pair.find('=');
      if (eq != std::string::npos) {
        form[pair.substr(0, eq)] = PercentDecode(pair.substr(eq + 1)).value_or("");
      }
      if (amp == std::string::npos) break;
      s = amp + 1;
    }
    if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      return JsonAnswer(
          400, json::object{{"error", "unsupported_grant_type"},
                            {"error_description", "Invalid grant_type: " + form["grant_type"]}});
    }
    const std::string& jwt = form["assertion"];
    size_t d1 = jwt.find('.'), d2 = jwt.rfind('.');
    if (d1 == std::string::npos || d2 == d1) return RefuseGrant("Invalid JWT: malformed");
    auto header = Base64UrlDecode(jwt.substr(0, d1));
    auto claims = Base64UrlDecode(jwt.substr(d1 + 1, d2 - d1 - 1));
    auto signature = Base64UrlDecode(jwt.substr(d2 + 1));
    if (!header || !claims || !signature) return RefuseGrant("Invalid JWT: bad encoding");
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    const std::string signed_part = jwt.substr(0, d2);
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, trusted.key.get()) != 1 ||
        EVP_DigestVerify(
            ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
            reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) != 1) {
      return RefuseGrant("Invalid JWT Signature.");
    }
    boost::system::error_code ec;
    json::value h = json::parse(*header, ec);
    if (ec || !h.is_object() || h.as_object().if_contains("alg") == nullptr ||
        h.as_object().at("alg") != "RS256") {
      return RefuseGrant("Invalid JWT: alg must be RS256");
    }
    json::value c = json::parse(*claims, ec);
    if (ec || !c.is_object()) return RefuseGrant("Invalid JWT: claims");
    const auto& o = c.as_object();
    auto str = [&](const char* k) {
      auto* v = o.if_contains(k);
      return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    auto num = [&](const char* k) -> int64_t {
      auto* v = o.if_contains(k);
      return v && v->is_int64() ? v->as_int64() : 0;
    };
    if (str("iss") != owner->client_email()) return RefuseGrant("Invalid issuer");
    if (str("aud") != owner->token_uri()) return RefuseGrant("Invalid JWT: audience");
    if (str("scope").find("https://www.googleapis.com/auth/bigquery") == std::string::npos) {
      return RefuseGrant("Invalid JWT: scope");
    }
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    if (num("exp") <= now || num("iat") > now + 60 || num("exp") - num("iat") > 3600) {
      return RefuseGrant(
          "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
          "timeframe.");
    }
    return TokenAnswer();
  }

  LocalHttpResponse HandleQuery(const json::object& body) {
    std::string sql = body.contains("query") && body.at("query").is_string()
                          ? std::string(body.at("query").as_string())
                          : "";
    const bool dry_run =
        body.contains("dryRun") && body.at("dryRun").is_bool() && body.at("dryRun").as_bool();
    if (body.contains("useLegacySql") &&
        !(body.at("useLegacySql").is_bool() && !body.at("useLegacySql").as_bool())) {
      return ApiError(400, "invalidQuery", "this test server speaks GoogleSQL only",
                      "INVALID_ARGUMENT");
    }
    const json::array* params = nullptr;
    if (auto* p = body.if_contains("queryParameters"); p && p->is_array()) params = &p->as_array();
    const bool named = body.contains("parameterMode") && body.at("parameterMode") == "NAMED";
    std::lock_guard<std::mutex> lock(mu);
    // defaultDataset: unqualified table names resolve in that dataset (DuckDB schema).
    std::string default_dataset = "main";
    if (auto* d = body.if_contains("defaultDataset"); d && d->is_object()) {
      if (auto* id = d->as_object().if_contains("datasetId"); id && id->is_string()) {
        default_dataset = std::string(id->as_string());
      }
    }
    ExecLocked("SET schema = " + SqlString(default_dataset));
    struct ResetSchema {
      Impl* impl;
      ~ResetSchema() { impl->ExecLocked("SET schema = 'main'"); }
    } reset{this};
    std::vector<std::pair<std::string, std::string>> read;
    std::string error;
    std::string translated = Translate(sql, params, named, &read, &error);
    if (!error.empty()) {
      if (error.rfind("notFound:", 0) == 0) {
        return ApiError(404, "notFound", error.substr(9), "NOT_FOUND");
      }
      return ApiError(400, "invalidQuery", error, "INVALID_ARGUMENT");
    }
    for (const auto& [dataset, table] : read) {
      auto tables = TablesOf(dataset);
      if (std::find(tables.begin(), tables.end(), table) == tables.end()) {
        return ApiError(404, "notFound",
                        "Not found: Table " + project + ":" + dataset + "." + table +
                            " was not found in location US",
                        "NOT_FOUND");
      }
    }
    int64_t bytes = 0;
    std::set<std::pair<std::string, std::string>> unique(read.begin(), read.end());
    for (const auto& [dataset, table] : unique) bytes += TableBytes(dataset, table);
    // Every query is checked (as BigQuery does, dry run or not): DuckDB types it first.
    duckdb_result typed;
    std::string typed_error = ExecLocked("SELECT * FROM (" + translated + "\n) LIMIT 0", &typed);
    if (!typed_error.empty()) {
      if (typed_error.find("Catalog Error: Table with name") != std::string::npos) {
        return ApiError(404, "notFound", "Not found: " + typed_error, "NOT_FOUND");
      }
      return ApiError(400, "invalidQuery", typed_error + " [translated: " + translated + "]",
                      "INVALID_ARGUMENT");
    }
    Job job;
    job.bytes = bytes;
    // Cells to_json would not carry exactly are cast to text first (decimals, bytes, zones).
    std::string replace;
    for (idx_t col = 0; col < duckdb_column_count(&typed); ++col) {
      duckdb_logical_type type = duckdb_column_logical_type(&typed, col);
      const std::string name = duckdb_column_name(&typed, col);
      job.fields.push_back(FieldOf(name, type));
      const std::string quoted = "\"" + name + "\"";
      switch (duckdb_get_type_id(type)) {
        case DUCKDB_TYPE_DECIMAL:
        case DUCKDB_TYPE_HUGEINT:
        case DUCKDB_TYPE_UBIGINT:
          replace += (replace.empty() ? "" : ", ") + std::string("CAST(") + quoted +
                     " AS VARCHAR) AS " + quoted;
          break;
        case DUCKDB_TYPE_BLOB:
          replace +=
              (replace.empty() ? "" : ", ") + std::string("to_base64(") + quoted + ") AS " + quoted;
          break;
        case DUCKDB_TYPE_TIMESTAMP_TZ:
          replace += (replace.empty() ? "" : ", ") + std::string("CAST(") + quoted +
                     " AS TIMESTAMP) AS " + quoted;
          break;
        default:
          break;
      }
      duckdb_destroy_logical_type(&type);
    }
    duckdb_destroy_result(&typed);
    duckdb_result result;
    std::string failed =
        ExecLocked("SELECT to_json(bq_row)::VARCHAR FROM (SELECT *" +
                       (replace.empty() ? std::string() : " REPLACE (" + replace + ")") +
                       " FROM (" + translated + "\n)) AS bq_row",
                   &result);
    if (!failed.empty()) {
      return ApiError(400, "invalidQuery", failed + " [translated: " + translated + "]",
                      "INVALID_ARGUMENT");
    }
    if (dry_run) {
      duckdb_destroy_result(&result);
      owner->dry_runs++;
      return JsonAnswer(200, json::object{{"kind", "bigquery#queryResponse"},
                                          {"totalBytesProcessed", std::to_string(bytes)},
                                          {"jobComplete", true},
                                          {"cacheHit", false}});
    }
    for (idx_t row = 0; row < duckdb_row_count(&result); ++row) {
      char* text = duckdb_value_varchar(&result, 0, row);
      json::value object = json::parse(text ? text : "{}", ec_);
      duckdb_free(text);
      json::array cells;
      // to_json names keys by column; duplicate names are not expected in tests.
      for (const auto& f : job.fields) {
        const auto& field = f.as_object();
        std::string name(field.at("name").as_string());
        const json::value* v = object.is_object() ? object.as_object().if_contains(name) : nullptr;
        cells.push_back(json::object{{"v", v ? CellOf(*v, field) : json::value()}});
      }
      job.rows.push_back(json::object{{"f", cells}});
    }
    duckdb_destroy_result(&result);
    job.slow = sql.find(BigQueryTestServer::kSlowMarker) != std::string::npos;
    const std::string id = "job_" + std::to_string(next_job++);
    jobs[id] = std::move(job);
    owner->queries_run++;
    last_query_body = json::serialize(body);
    std::string location = body.contains("location") && body.at("location").is_string()
                               ? std::string(body.at("location").as_string())
                               : "US";
    if (owner->answer_in_query.load() && !jobs[id].slow) {
      // As BigQuery does for quick queries: the first page comes with jobs.query's answer.
      size_t page = 100000;
      if (auto* m = body.if_contains("maxResults"); m && m->is_int64()) {
        page = static_cast<size_t>(m->as_int64());
      }
      return JsonAnswer(200, PageAnswer("bigquery#queryResponse", id, jobs[id], 0, page));
    }
    // The first answer has no rows: the client must poll getQueryResults.
    return JsonAnswer(
        200,
        json::object{{"kind", "bigquery#queryResponse"},
                     {"jobReference",
                      json::object{{"projectId", project}, {"jobId", id}, {"location", location}}},
                     {"jobComplete", false}});
  }

  LocalHttpResponse HandleResults(const std::string& job_id, const LocalHttpRequest& req) {
    int64_t timeout_ms = std::stoll(req.Query("timeoutMs", "10000"));
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = jobs.find(job_id);
      if (it == jobs.end()) {
        return ApiError(404, "notFound", "Not found: Job " + project + ":" + job_id, "NOT_FOUND");
      }
      if (it->second.cancelled) {
        return ApiError(400, "stopped", "Job execution was cancelled: User requested cancellation",
                        "INVALID_ARGUMENT");
      }
    }
    bool slow = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      slow = jobs[job_id].slow;
    }
    if (slow) {
      // Never completes: waits as long as the client allows, then says so.
      http->WaitFor(std::chrono::milliseconds(std::min<int64_t>(timeout_ms, 2000)));
      std::lock_guard<std::mutex> lock(mu);
      return JsonAnswer(200, json::object{{"kind", "bigquery#getQueryResultsResponse"},
                                          {"jobReference",
                                           json::object{{"projectId", project}, {"jobId", job_id}}},
                                          {"jobComplete", false}});
    }
    std::lock_guard<std::mutex> lock(mu);
    Job& job = jobs[job_id];
    size_t offset = 0;
    if (std::string token = req.Query("pageToken"); !token.empty()) {
      if (token.rfind("page-", 0) != 0) {
        return ApiError(400, "invalid", "Invalid page token", "INVALID_ARGUMENT");
      }
      offset = std::stoul(token.substr(5));
    }
    size_t page = static_cast<size_t>(std::stoll(req.Query("maxResults", "100000")));
    owner->result_pages++;
    return JsonAnswer(200,
                      PageAnswer("bigquery#getQueryResultsResponse", job_id, job, offset, page));
  }

  // One page of a finished job's rows, from `offset`, at most `page` of them.
  json::object PageAnswer(const std::string& kind, const std::string& job_id, const Job& job,
                          size_t offset, size_t page) {
    json::array rows;
    for (size_t r = offset; r < job.rows.size() && r < offset + page; ++r) {
      rows.push_back(job.rows[r]);
    }
    json::object answer{{"kind", kind},
                        {"schema", json::object{{"fields", job.fields}}},
                        {"jobReference", json::object{{"projectId", project}, {"jobId", job_id}}},
                        {"totalRows", std::to_string(job.rows.size())},
                        {"totalBytesProcessed", std::to_string(job.bytes)},
                        {"jobComplete", true}};
    if (!rows.empty()) answer["rows"] = std::move(rows);
    if (offset + page < job.rows.size())
      answer["pageToken"] = "page-" + std::to_string(offset + page);
    return answer;
  }

  json::object TableResource(const std::string& dataset, const std::string& table) {
    std::string type = "TABLE";
    if (auto it = table_types.find(dataset + "." + table); it != table_types.end())
      type = it->second;
    return json::object{
        {"kind", "bigquery#table"},
        {"tableReference",
         json::object{{"projectId", project}, {"datasetId", dataset}, {"tableId", table}}},
        {"type", type}};
  }

  LocalHttpResponse Handle(const LocalHttpRequest& req) {
    if (req.path == "/token") return HandleToken(req);
    if (req.path.rfind("/computeMetadata/v1/", 0) == 0) {
      if (req.Header("metadata-flavor") != "Google") {
        return LocalHttpResponse{403, "text/html", {}, "Missing Metadata-Flavor:Google header."};
      }
      if (req.path == "/computeMetadata/v1/instance/service-accounts/default/token") {
        return TokenAnswer();
      }
      if (req.path == "/computeMetadata/v1/project/project-id") {
        return LocalHttpResponse{200, "application/text", {}, project};
      }
      return LocalHttpResponse{404, "text/html", {}, "Not Found"};
    }
    const std::string prefix = "/bigquery/v2/projects/" + project + "/";
    if (req.path.rfind(prefix, 0) != 0) {
      return ApiError(404, "notFound", "Not found: Project or path " + req.path, "NOT_FOUND");
    }
    if (!Authorized(req)) {
      return ApiError(401, "authError",
                      "Request had invalid authentication credentials. Expected OAuth 2 access "
                      "token, login cookie or other valid authentication credential.",
                      "UNAUTHENTICATED");
    }
    if (owner->too_many_requests_next.load() > 0) {
      owner->too_many_requests_next--;
      auto r = ApiError(429, "rateLimitExceeded", "Exceeded rate limits: too many api requests",
                        "RESOURCE_EXHAUSTED");
      r.headers.emplace_back("Retry-After", "0");
      return r;
    }
    if (owner->rate_limit_next.load() > 0) {
      owner->rate_limit_next--;
      auto r = ApiError(403, "rateLimitExceeded",
                        "Exceeded rate limits: too many concurrent queries for this project",
                        "PERMISSION_DENIED");
      r.headers.emplace_back("Retry-After", "0");
      return r;
    }
    const std::string rest = req.path.substr(prefix.size());
    std::vector<std::string> parts;
    for (size_t s = 0;;) {
      size_t slash = rest.find('/', s);
      parts.push_back(rest.substr(s, slash - s));
      if (slash == std::string::npos) break;
      s = slash + 1;
    }
    if (req.method == "POST" && parts.size() == 1 && parts[0] == "queries") {
      boost::system::error_code ec;
      json::value body = json::parse(req.body, ec);
      if (ec || !body.is_object()) {
        return ApiError(400, "parseError", "Parse Error", "INVALID_ARGUMENT");
      }
      return HandleQuery(body.as_object());
    }
    if (req.method == "GET" && parts.size() == 2 && parts[0] == "queries") {
      return HandleResults(parts[1], req);
    }
    if (req.method == "POST" && parts.size() == 3 && parts[0] == "jobs" && parts[2] == "cancel") {
      std::lock_guard<std::mutex> lock(mu);
      auto it = jobs.find(parts[1]);
      if (it == jobs.end()) {
        return ApiError(404, "notFound", "Not found: Job " + project + ":" + parts[1], "NOT_FOUND");
      }
      it->second.cancelled = true;
      cancelled.push_back(parts[1]);
      return JsonAnswer(
          200,
          json::object{{"kind", "bigquery#jobCancelResponse"},
                       {"job", json::object{{"jobReference", json::object{{"jobId", parts[1]}}},
                                            {"status", json::object{{"state", "DONE"}}}}}});
    }
    if (req.method == "GET" && parts.size() == 1 && parts[0] == "datasets") {
      std::lock_guard<std::mutex> lock(mu);
      duckdb_result r;
      json::array datasets;
      if (ExecLocked("SELECT schema_name FROM information_schema.schemata WHERE catalog_name = "
                     "current_database() AND schema_name NOT IN ('main', 'information_schema', "
                     "'pg_catalog') ORDER BY 1",
                     &r)
              .empty()) {
        for (idx_t i = 0; i < duckdb_row_count(&r); ++i) {
          char* v = duckdb_value_varchar(&r, 0, i);
          datasets.push_back(json::object{
              {"kind", "bigquery#dataset"},
              {"datasetReference", json::object{{"projectId", project}, {"datasetId", v}}}});
          duckdb_free(v);
        }
        duckdb_destroy_result(&r);
      }
      // One dataset per page, so that the client must follow nextPageToken.
      size_t offset = req.Query("pageToken").empty() ? 0 : std::stoul(req.Query("pageToken"));
      json::object answer{{"kind", "bigquery#datasetList"}};
      if (offset < datasets.size()) answer["datasets"] = json::array{datasets[offset]};
      if (offset + 1 < datasets.size()) answer["nextPageToken"] = std::to_string(offset + 1);
      return JsonAnswer(200, answer);
    }
    if (req.method == "GET" && parts.size() == 3 && parts[0] == "datasets" &&
        parts[2] == "tables") {
      std::lock_guard<std::mutex> lock(mu);
      json::array tables;
      for (const auto& t : TablesOf(parts[1])) tables.push_back(TableResource(parts[1], t));
      return JsonAnswer(200, json::object{{"kind", "bigquery#tableList"},
                                          {"tables", tables},
                                          {"totalItems", tables.size()}});
    }
    if (req.method == "GET" && parts.size() == 4 && parts[0] == "datasets" &&
        parts[2] == "tables") {
      std::lock_guard<std::mutex> lock(mu);
      auto tables = TablesOf(parts[1]);
      if (std::find(tables.begin(), tables.end(), parts[3]) == tables.end()) {
        return ApiError(404, "notFound",
                        "Not found: Table " + project + ":" + parts[1] + "." + parts[3],
                        "NOT_FOUND");
      }
      duckdb_result typed;
      std::string e =
          ExecLocked("SELECT * FROM \"" + parts[1] + "\".\"" + parts[3] + "\" LIMIT 0", &typed);
      if (!e.empty()) return ApiError(500, "internalError", e, "INTERNAL");
      json::array fields;
      for (idx_t col = 0; col < duckdb_column_count(&typed); ++col) {
        duckdb_logical_type type = duckdb_column_logical_type(&typed, col);
        fields.push_back(FieldOf(duckdb_column_name(&typed, col), type));
        duckdb_destroy_logical_type(&type);
      }
      duckdb_destroy_result(&typed);
      json::object resource = TableResource(parts[1], parts[3]);
      resource["schema"] = json::object{{"fields", fields}};
      resource["numRows"] = std::to_string(
          ScalarInt("SELECT count(*) FROM \"" + parts[1] + "\".\"" + parts[3] + "\""));
      return JsonAnswer(200, resource);
    }
    return ApiError(404, "notFound", "Not found: " + req.method + " " + req.path, "NOT_FOUND");
  }

  boost::system::error_code ec_;
};

BigQueryTestServer::BigQueryTestServer(std::string project) : impl_(std::make_unique<Impl>()) {
  impl_->project = std::move(project);
  impl_->owner = this;
  impl_->trusted = GenerateKeyPair();
  impl_->untrusted = GenerateKeyPair();
  duckdb_open(nullptr, &impl_->db);
  duckdb_connect(impl_->db, &impl_->conn);
  impl_->ExecLocked("SET TimeZone = 'UTC'");
  for (const char* macro : kMacros) impl_->ExecLocked(macro);
  impl_->http = std::make_unique<LocalHttpServer>(
      [this](const LocalHttpRequest& req) { return impl_->Handle(req); });
}

BigQueryTestServer::~BigQueryTestServer() {
  impl_->http->Stop();
}

std::string BigQueryTestServer::url() const {
  return impl_->http->url();
}
std::string BigQueryTestServer::token_uri() const {
  return impl_->http->url() + "/token";
}
std::string BigQueryTestServer::client_email() const {
  return "tributary-test@" + impl_->project + ".iam.gserviceaccount.com";
}

std::string BigQueryTestServer::KeyJson(bool wrong_key) const {
  json::object key{
      {"type", "service_account"},
      {"project_id", impl_->project},
      {"private_key_id", wrong_key ? "untrusted-key" : "trusted-key"},
      {"private_key", wrong_key ? impl_->untrusted.private_pem : impl_->trusted.private_pem},
      {"client_email", client_email()},
      {"client_id", "1234567890"},
      {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
      {"token_uri", token_uri()}};
  return json::serialize(key);
}

std::string BigQueryTestServer::Exec(const std::string& sql) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->ExecLocked(sql);
}

void BigQueryTestServer::SetTableType(const std::string& dataset, const std::string& table,
                                      const std::string& type) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->table_types[dataset + "." + table] = type;
}

std::string BigQueryTestServer::Translate(const std::string& sql) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::pair<std::string, std::string>> read;
  std::string error;
  std::string out = impl_->Translate(sql, nullptr, true, &read, &error);
  return error.empty() ? out : "ERROR: " + error;
}

std::vector<std::string> BigQueryTestServer::cancelled_jobs() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->cancelled;
}

std::string BigQueryTestServer::last_query_body() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_query_body;
}

}  // namespace tributary::bigquery_test
