#include "metrics/metric_runner.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <mutex>

#include "common/metrics.h"
#include "config/yaml_reader.h"
#include "core/json_out.h"
#include "core/time_util.h"

namespace tributary {

namespace {

using config_internal::DidYouMean;
using config_internal::JoinNames;

constexpr int64_t kMicrosPerDay = 24LL * 3600 * 1000000;
// A checked binding is trusted this long; a table altered meanwhile fails at query time with
// the engine's own error, and the next check after expiry reports it clearly.
constexpr auto kTableCheckTtl = std::chrono::seconds(60);

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// ---- Checking the binding against the source's schema ----------------------------------------

struct TableCheck {
  std::string table_sql;
  std::chrono::steady_clock::time_point checked;
};

class TableCheckCache {
 public:
  static TableCheckCache& Global() {
    static TableCheckCache cache;
    return cache;
  }
  std::optional<std::string> Get(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() - it->second.checked > kTableCheckTtl) {
      entries_.erase(it);
      return std::nullopt;
    }
    return it->second.table_sql;
  }
  void Put(const std::string& key, std::string table_sql) {
    std::lock_guard lock(mu_);
    // Keys start with the runtime generation; entries of older runtimes are never read again.
    if (entries_.size() > 1024) entries_.clear();
    entries_[key] = {std::move(table_sql), std::chrono::steady_clock::now()};
  }

 private:
  std::mutex mu_;
  std::map<std::string, TableCheck> entries_;
};

//! What {{table}} becomes for this binding: the quoted table, or a derived table renaming the
//! source's columns onto the canonical ones. Every name used is checked against the schema.
Result<std::string> BuildTableSql(const Pack& pack, const DialectSql& dialect,
                                  const DatasetBinding& binding, const std::string& project,
                                  Connector* connector) {
  const std::string where =
      "project '" + project + "' dataset '" + binding.name + "' (source '" + binding.source + "')";
  std::vector<std::string> canonical;
  for (const auto& c : pack.columns) canonical.push_back(c.name);
  for (const auto& [canon, actual] : binding.columns) {
    if (std::find(canonical.begin(), canonical.end(), canon) == canonical.end()) {
      return ConfigError(where + ": columns maps '" + canon + "', which is not a column of " +
                         pack.dataset + "; " + DidYouMean(canon, canonical) +
                         "canonical columns: " + JoinNames(canonical));
    }
  }
  if (!dialect.canonical_columns) {
    if (!binding.columns.empty()) {
      return ConfigError(where + ": the " + dialect.dialect + " SQL of pack '" + pack.name +
                         "' reads the engine's native layout, so columns cannot be renamed; "
                         "remove datasets." +
                         binding.name + ".columns");
    }
    return QuoteTable(dialect, binding.table);
  }
  if (!connector->capabilities().schema_introspection) {
    // Nothing to check against: names are still only ever quoted identifiers.
    if (binding.columns.empty()) return QuoteTable(dialect, binding.table);
  }
  std::vector<TableColumn> columns;
  if (connector->capabilities().schema_introspection) {
    Result<TableSchema> schema = connector->DescribeTable(binding.table);
    if (!schema.ok()) {
      if (schema.status().code() == ErrorCode::kNotFound) {
        return ConfigError(where + ": table '" + binding.table +
                           "' does not exist in the source; set datasets." + binding.name +
                           ".table to the table holding " + pack.dataset + " (" +
                           std::string(schema.status().message()) + ")");
      }
      return schema.status().WithContext(where + ": checking table '" + binding.table + "'");
    }
    columns = std::move(schema->columns);
  }
  bool renamed = false;
  std::string select;
  for (const auto& canon : canonical) {
    auto mapped = binding.columns.find(canon);
    std::string wanted = mapped == binding.columns.end() ? canon : mapped->second;
    std::string actual = wanted;
    if (connector->capabilities().schema_introspection) {
      // Exact match first; engines that fold case (PostgreSQL) report lower-case names.
      auto exact = std::find_if(columns.begin(), columns.end(),
                                [&](const TableColumn& c) { return c.name == wanted; });
      if (exact == columns.end()) {
        exact = std::find_if(columns.begin(), columns.end(),
                             [&](const TableColumn& c) { return Lower(c.name) == Lower(wanted); });
      }
      if (exact == columns.end()) {
        std::vector<std::string> names;
        for (const auto& c : columns) names.push_back(c.name);
        return ConfigError(where + ": table '" + binding.table + "' has no column '" + wanted +
                           "' for " + pack.dataset + "." + canon + "; " +
                           DidYouMean(wanted, names) + "map it with datasets." + binding.name +
                           ".columns." + canon + ": <column> (the table has: " + JoinNames(names) +
                           ")");
      }
      actual = exact->name;
    }
    if (actual != canon) renamed = true;
    if (!select.empty()) select += ", ";
    select += QuoteIdentifier(dialect.quote, actual);
    if (actual != canon) select += " AS " + QuoteIdentifier(dialect.quote, canon);
  }
  if (!renamed) return QuoteTable(dialect, binding.table);
  return "(SELECT " + select + " FROM " + QuoteTable(dialect, binding.table) + ")";
}

// ---- Shaping rows into the declared result -----------------------------------------------------

class Shaper {
 public:
  Shaper(const MetricDef& metric, std::string context)
      : metric_(metric), context_(std::move(context)) {}

  //! The `data` JSON of the metric from the rows of each part.
  Result<std::string> Shape(const std::map<std::string, QueryResult>& parts) {
    const QueryResult& main = parts.at("main");
    if (metric_.object_shape) {
      out_.StartObject();
      for (const auto& field : metric_.fields) {
        out_.Key(field.name);
        if (field.type == FieldType::kList) {
          TRIB_RETURN_IF_ERROR(WriteList(field.fields, parts.at(field.name), field.name + "."));
        } else if (field.type == FieldType::kObject) {
          out_.StartObject();
          for (const auto& sub : field.fields) {
            out_.Key(sub.name);
            TRIB_RETURN_IF_ERROR(WriteCellOf(sub, main, field.name + "_" + sub.name, 0,
                                             field.name + "." + sub.name));
          }
          out_.EndObject();
        } else {
          TRIB_RETURN_IF_ERROR(WriteCellOf(field, main, field.name, 0, field.name));
        }
      }
      out_.EndObject();
    } else {
      TRIB_RETURN_IF_ERROR(WriteList(metric_.fields, main, ""));
    }
    return out_.Take();
  }

 private:
  Status WriteList(const std::vector<PackField>& fields, const QueryResult& rows,
                   const std::string& prefix) {
    std::vector<size_t> index;
    for (const auto& f : fields) {
      TRIB_ASSIGN_OR_RETURN(size_t i, Column(rows, f.name));
      index.push_back(i);
    }
    out_.StartArray();
    for (size_t r = 0; r < rows.row_count(); ++r) {
      out_.StartObject();
      for (size_t k = 0; k < fields.size(); ++k) {
        out_.Key(fields[k].name);
        TRIB_RETURN_IF_ERROR(WriteCell(fields[k], rows, index[k], r, prefix + fields[k].name));
      }
      out_.EndObject();
    }
    out_.EndArray();
    return Status::Ok();
  }

  // For an object: row 0, or the empty-window value when the query returned no row.
  Status WriteCellOf(const PackField& field, const QueryResult& rows, const std::string& column,
                     size_t row, const std::string& label) {
    TRIB_ASSIGN_OR_RETURN(size_t i, Column(rows, column));
    if (rows.row_count() == 0) return WriteNull(field, label);
    return WriteCell(field, rows, i, row, label);
  }

  Result<size_t> Column(const QueryResult& rows, const std::string& name) const {
    const std::string want = Lower(name);
    for (size_t i = 0; i < rows.column_count(); ++i) {
      if (Lower(rows.columns()[i].name) == want) return i;
    }
    std::vector<std::string> names;
    for (const auto& c : rows.columns()) names.push_back(c.name);
    return Internal(context_ + ": the query returned no column '" + name +
                    "' (it returned: " + JoinNames(names) + "); fix the pack's SQL");
  }

  Status WriteNull(const PackField& field, const std::string& label) {
    if (field.nullable) {
      out_.Null();
      return Status::Ok();
    }
    // An aggregate over no rows (SUM, AVG, MAX) is NULL in SQL; the contract says 0.
    if (field.type == FieldType::kInt) {
      out_.Int(0);
      return Status::Ok();
    }
    if (field.type == FieldType::kDouble) {
      out_.Double(0);
      return Status::Ok();
    }
    return Internal(context_ + ": field '" + label + "' is null, but the pack declares it " +
                    "non-nullable; fix the pack's SQL or declare nullable: true");
  }

  Status Bad(const std::string& label, const Value& v, std::string_view want) const {
    std::string shown;
    if (std::holds_alternative<std::string>(v.data)) {
      shown = "'" + std::get<std::string>(v.data).substr(0, 64) + "'";
    } else if (std::holds_alternative<int64_t>(v.data)) {
      shown = std::to_string(v.as_int());
    } else if (std::holds_alternative<double>(v.data)) {
      shown = std::to_string(v.as_double());
    }
    return Internal(context_ + ": field '" + label + "': cannot read " +
                    std::string(ColumnTypeName(v.type)) + " " + shown + " as " + std::string(want));
  }

  Status WriteCell(const PackField& field, const QueryResult& rows, size_t col, size_t row,
                   const std::string& label) {
    const ColumnData& data = rows.column(col);
    if (data.is_null(row)) return WriteNull(field, label);
    Value v = data.ValueAt(row);
    switch (field.type) {
      case FieldType::kInt: {
        std::optional<int64_t> n = AsInt(v);
        if (!n) return Bad(label, v, "an integer");
        out_.Int(*n);
        return Status::Ok();
      }
      case FieldType::kDouble: {
        std::optional<double> d = AsDouble(v);
        if (!d) return Bad(label, v, "a number");
        // Ratios over nothing are 0 by contract, never NaN or infinite.
        out_.Double(std::isfinite(*d) ? *d : 0.0);
        return Status::Ok();
      }
      case FieldType::kString:
        switch (v.type) {
          case ColumnType::kString:
          case ColumnType::kJson:
          case ColumnType::kDecimal:
            out_.String(v.as_string());
            return Status::Ok();
          case ColumnType::kInt64:
            out_.String(std::to_string(v.as_int()));
            return Status::Ok();
          default:
            return Bad(label, v, "text");
        }
      case FieldType::kBool:
        if (v.type == ColumnType::kBool) {
          out_.Bool(v.as_bool());
        } else if (v.type == ColumnType::kInt64) {
          out_.Bool(v.as_int() != 0);
        } else {
          return Bad(label, v, "a boolean");
        }
        return Status::Ok();
      case FieldType::kDate: {
        std::optional<int64_t> days;
        if (v.type == ColumnType::kDate) {
          days = v.as_int();
        } else if (v.type == ColumnType::kTimestamp) {
          days = FloorDiv(v.as_int(), kMicrosPerDay);
        } else if (v.type == ColumnType::kString) {
          if (auto micros = ParseTimestamp(v.as_string())) days = FloorDiv(*micros, kMicrosPerDay);
        }
        if (!days) return Bad(label, v, "a date");
        out_.String(FormatDate(*days));
        return Status::Ok();
      }
      case FieldType::kTimestamp: {
        std::optional<int64_t> micros;
        if (v.type == ColumnType::kTimestamp) {
          micros = v.as_int();
        } else if (v.type == ColumnType::kDate) {
          micros = v.as_int() * kMicrosPerDay;
        } else if (v.type == ColumnType::kString) {
          micros = ParseTimestamp(v.as_string());
        }
        if (!micros) return Bad(label, v, "a timestamp");
        out_.String(FormatTimestamp(*micros));
        return Status::Ok();
      }
      case FieldType::kObject:
      case FieldType::kList:
        break;
    }
    return Internal(context_ + ": field '" + label + "' cannot be read from a column");
  }

  static std::optional<int64_t> ParseIntText(std::string_view text) {
    // Exact decimals such as HUGEINT sums ("123") or "123.000" are integers.
    size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    if (dot != std::string_view::npos) {
      std::string_view frac = text.substr(dot + 1);
      if (!std::all_of(frac.begin(), frac.end(), [](char c) { return c == '0'; })) {
        return std::nullopt;
      }
    }
    int64_t n = 0;
    auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), n);
    if (ec != std::errc() || end != whole.data() + whole.size()) return std::nullopt;
    return n;
  }

  static std::optional<int64_t> AsInt(const Value& v) {
    switch (v.type) {
      case ColumnType::kInt64:
        return v.as_int();
      case ColumnType::kBool:
        return v.as_bool() ? 1 : 0;
      case ColumnType::kDouble: {
        double d = v.as_double();
        if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return std::nullopt;
        return static_cast<int64_t>(d);
      }
      case ColumnType::kDecimal:
      case ColumnType::kString:
        return ParseIntText(v.as_string());
      default:
        return std::nullopt;
    }
  }

  static std::optional<double> AsDouble(const Value& v) {
    switch (v.type) {
      case ColumnType::kInt64:
        return static_cast<double>(v.as_int());
      case ColumnType::kDouble:
        return v.as_double();
      case ColumnType::kBool:
        return v.as_bool() ? 1.0 : 0.0;
      case ColumnType::kDecimal:
      case ColumnType::kString: {
        const std::string& s = v.as_string();
        double d = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
        return d;
      }
      default:
        return std::nullopt;
    }
  }

  const MetricDef& metric_;
  std::string context_;
  JsonOut out_;
};

Status NotFoundIn(std::string_view what, std::string_view given,
                  const std::vector<std::string>& known, std::string_view where) {
  return NotFound("unknown " + std::string(what) + " '" + std::string(given) + "'" +
                  std::string(where) + "; " + DidYouMean(given, known) +
                  "known: " + (known.empty() ? "(none)" : JoinNames(known)));
}

std::string StatusName(const Status& error) {
  return error.code() == ErrorCode::kDeadlineExceeded ? "timeout" : "error";
}

}  // namespace

Status CheckDatasetBindings(const Config& config, const PackCatalog& packs) {
  std::vector<std::string> datasets;
  for (const auto& pack : packs.packs()) {
    if (std::find(datasets.begin(), datasets.end(), pack.dataset) == datasets.end()) {
      datasets.push_back(pack.dataset);
    }
  }
  for (const auto& project : config.projects) {
    for (const auto& [name, binding] : project.datasets) {
      const std::string where =
          binding.location.ToString() + ": projects." + project.id + ".datasets." + name + ": ";
      const Pack* reader = nullptr;
      for (const auto& pack : packs.packs()) {
        if (pack.dataset == name) reader = &pack;
      }
      if (!reader) {
        return ConfigError(where + "no metric pack reads a dataset '" + name + "'; " +
                           DidYouMean(name, datasets) + "datasets: " + JoinNames(datasets));
      }
      std::vector<std::string> canonical;
      for (const auto& c : reader->columns) canonical.push_back(c.name);
      for (const auto& [canon, actual] : binding.columns) {
        if (std::find(canonical.begin(), canonical.end(), canon) == canonical.end()) {
          return ConfigError(where + "columns maps '" + canon + "', which is not a column of " +
                             name + "; " + DidYouMean(canon, canonical) +
                             "columns: " + JoinNames(canonical));
        }
      }
    }
  }
  return Status::Ok();
}

std::string QuoteIdentifier(char quote, std::string_view name) {
  std::string out(1, quote);
  for (char c : name) {
    out += c;
    if (c == quote) out += c;
  }
  out += quote;
  return out;
}

std::string QuoteTable(const DialectSql& dialect, std::string_view table) {
  if (dialect.quote_table_whole) return QuoteIdentifier(dialect.quote, table);
  std::string out;
  while (true) {
    size_t dot = table.find('.');
    if (!out.empty()) out += ".";
    out += QuoteIdentifier(dialect.quote, table.substr(0, dot));
    if (dot == std::string_view::npos) break;
    table.remove_prefix(dot + 1);
  }
  return out;
}

Result<std::vector<PlannedQuery>> PlanMetricSql(const Pack& pack, const MetricDef& metric,
                                                const DialectSql& dialect,
                                                const ResolvedParams& params,
                                                const DatasetBinding& binding,
                                                const std::string& table_sql) {
  auto sql = dialect.metrics.find(metric.name);
  if (sql == dialect.metrics.end()) {
    std::vector<std::string> have;
    for (const auto& [d, s] : pack.dialects) {
      if (s.metrics.count(metric.name)) have.push_back(d);
    }
    return ConfigError("pack '" + pack.name + "' has no " + dialect.dialect + " SQL for metric '" +
                       metric.name + "' (it has: " + (have.empty() ? "none" : JoinNames(have)) +
                       "); add it to packs/" + pack.name + "/" + dialect.dialect + ".yaml");
  }
  TemplateContext context;
  context.placeholder = dialect.placeholder;
  context.table_sql = table_sql;
  context.values = params.values;
  context.lists = params.lists;
  for (const auto& setting : pack.settings) {
    if (!setting.is_list()) {
      std::string text = *setting.text;
      if (setting.name == "client_pattern" && binding.client_pattern) {
        text = *binding.client_pattern;
      }
      context.values[setting.name] = Value::String(std::move(text));
      continue;
    }
    std::vector<TemplateItem> items;
    if (setting.name == "features" && binding.feature_rules) {
      for (const auto& rule : *binding.feature_rules) {
        items.push_back({{"match", Value::String(rule.match)}, {"name", Value::String(rule.name)}});
      }
    } else {
      for (const auto& item : setting.items) {
        TemplateItem t;
        for (const auto& [k, v] : item) t[k] = Value::String(v);
        items.push_back(std::move(t));
      }
    }
    context.lists[setting.name] = std::move(items);
  }
  std::vector<PlannedQuery> planned;
  for (const auto& [part, tmpl] : sql->second) {
    Result<RenderedSql> rendered = RenderTemplate(tmpl, context);
    if (!rendered.ok()) {
      return rendered.status().WithContext("pack '" + pack.name + "' metric '" + metric.name +
                                           "' (" + dialect.dialect + ", " + part + ")");
    }
    planned.push_back({part, std::move(rendered).value()});
  }
  return planned;
}

namespace {

//! RunMetric, or with `explain` set, everything up to running the SQL, which it stores there.
Result<MetricAnswer> RunOrExplain(const Runtime& runtime, const MetricCall& call,
                                  std::vector<PlannedQuery>* explain) {
  const Config& config = runtime.config();
  std::string project_id = call.project.empty() ? config.default_project : call.project;
  std::vector<std::string> projects;
  for (const auto& p : config.projects) projects.push_back(p.id);
  if (project_id.empty()) {
    return InvalidArgument(
        "no project given and the config names no default_project; name one "
        "of: " +
        JoinNames(projects));
  }
  const ProjectConfig* project = config.FindProject(project_id);
  if (!project) return NotFoundIn("project", project_id, projects, "");

  if (!runtime.packs().ok()) return runtime.packs().status();
  const PackCatalog& catalog = **runtime.packs();
  const Pack* pack = catalog.Find(call.pack);
  if (!pack) return NotFoundIn("pack", call.pack, catalog.PackNames(), "");
  const MetricDef* metric = pack->FindMetric(call.metric);
  if (!metric) {
    return NotFoundIn("metric", call.metric, pack->MetricNames(), " in pack '" + pack->name + "'");
  }

  TRIB_ASSIGN_OR_RETURN(ResolvedParams params,
                        ResolveParams(*metric, call.params, NowMicros(), {"source"}));

  auto bound = project->datasets.find(pack->dataset);
  if (bound == project->datasets.end()) {
    return NotFound("project '" + project->id + "' binds no dataset '" + pack->dataset +
                    "', which pack '" + pack->name + "' reads; add datasets." + pack->dataset +
                    ": {source: <id>, table: <table>} to the project in the config");
  }
  const DatasetBinding& binding = bound->second;
  for (const auto& [name, value] : call.params) {
    if (name == "source" && value != binding.source) {
      return NotFound("source '" + value + "' does not hold dataset '" + pack->dataset +
                      "' for project '" + project->id + "'; it is bound to: " + binding.source);
    }
  }

  MetricAnswer answer;
  answer.project = project->id;
  answer.pack = pack->name;
  answer.metric = metric->name;
  answer.now = params.now;
  answer.from = params.from;
  answer.to = params.to;

  SourceOutcome outcome;
  outcome.id = binding.source;
  Result<SourceHandle*> source = runtime.FindSource(binding.source);
  if (!source.ok()) {
    outcome.status = "error";
    outcome.error = source.status();
    answer.failure = source.status();
    answer.sources.push_back(std::move(outcome));
    return answer;
  }
  Connector* connector = (*source)->connector();
  const std::string dialect_name = connector->capabilities().dialect;
  auto dialect = pack->dialects.find(dialect_name);
  if (dialect == pack->dialects.end()) {
    std::vector<std::string> have;
    for (const auto& [d, s] : pack->dialects) have.push_back(d);
    return ConfigError("project '" + project->id + "' binds " + pack->dataset + " to source '" +
                       binding.source + "' (dialect " + dialect_name + "), but pack '" +
                       pack->name + "' has no " + dialect_name +
                       " SQL (dialects: " + JoinNames(have) + ")");
  }

  const std::string check_key = std::to_string(runtime.generation()) + "\n" + project->id + "\n" +
                                pack->name + "\n" + binding.name;
  std::string table_sql;
  if (auto cached = TableCheckCache::Global().Get(check_key)) {
    table_sql = std::move(*cached);
  } else {
    Result<std::string> built =
        BuildTableSql(*pack, dialect->second, binding, project->id, connector);
    if (!built.ok()) {
      if (built.status().code() == ErrorCode::kConfigError) return built.status();
      // The source could not be asked: that is the source failing, not the request.
      outcome.status = StatusName(built.status());
      outcome.error = built.status();
      answer.failure = built.status();
      answer.sources.push_back(std::move(outcome));
      return answer;
    }
    table_sql = *built;
    TableCheckCache::Global().Put(check_key, table_sql);
  }

  TRIB_ASSIGN_OR_RETURN(std::vector<PlannedQuery> planned,
                        PlanMetricSql(*pack, *metric, dialect->second, params, binding, table_sql));
  if (explain) {
    *explain = std::move(planned);
    return answer;
  }

  const ServerConfig& server = config.server;
  std::map<std::string, QueryResult> parts;
  auto start = std::chrono::steady_clock::now();
  for (auto& query : planned) {
    QueryRequest request;
    request.sql = std::move(query.sql.sql);
    request.params = std::move(query.sql.params);
    request.max_rows = server.max_row_limit;
    request.max_bytes = server.max_result_bytes;
    request.timeout = std::chrono::milliseconds(server.default_timeout_ms);
    request.cancel = call.cancel;
    // The SQL ships with Tributary (or the operator's packs_dir) and values are bound.
    request.skip_statement_guard = true;
    auto query_start = std::chrono::steady_clock::now();
    Result<QueryResult> result = connector->Execute(request);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - query_start).count();
    Metrics::Global().RecordSourceQuery(
        binding.source, (*source)->config().type,
        result.ok() ? std::string_view("ok") : ErrorCodeName(result.status().code()), seconds);
    if (!result.ok()) {
      Status error = result.status().WithContext("source '" + binding.source + "'");
      outcome.status = StatusName(error);
      outcome.error = error;
      outcome.elapsed_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      answer.failure = error;
      answer.sources.push_back(std::move(outcome));
      return answer;
    }
    if (query.part == "main") outcome.rows = static_cast<int64_t>(result->row_count());
    parts.emplace(query.part, std::move(result).value());
  }
  outcome.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  outcome.status = "ok";

  Shaper shaper(*metric, "metric " + pack->name + "/" + metric->name + " (" + dialect_name + ")");
  TRIB_ASSIGN_OR_RETURN(answer.data_json, shaper.Shape(parts));
  answer.sources.push_back(std::move(outcome));
  return answer;
}

}  // namespace

Result<MetricAnswer> RunMetric(const Runtime& runtime, const MetricCall& call) {
  return RunOrExplain(runtime, call, nullptr);
}

Result<std::vector<PlannedQuery>> ExplainMetric(const Runtime& runtime, const MetricCall& call) {
  std::vector<PlannedQuery> planned;
  TRIB_ASSIGN_OR_RETURN(MetricAnswer answer, RunOrExplain(runtime, call, &planned));
  if (!answer.failure.ok()) return answer.failure;
  return planned;
}

std::string MetricEnvelopePrefix(const MetricAnswer& answer) {
  // `data` is already JSON text; it is spliced in rather than parsed and written again.
  JsonOut meta;
  meta.StartObject();
  meta.Key("project").String(answer.project);
  meta.Key("pack").String(answer.pack);
  meta.Key("metric").String(answer.metric);
  meta.Key("asOf").String(FormatTimestamp(answer.now));
  meta.Key("from");
  answer.from ? meta.String(FormatTimestamp(*answer.from)) : meta.Null();
  meta.Key("to");
  answer.to ? meta.String(FormatTimestamp(*answer.to)) : meta.Null();
  meta.Key("partial").Bool(false);
  meta.Key("sources").StartArray();
  for (const auto& s : answer.sources) {
    meta.StartObject();
    meta.Key("id").String(s.id);
    meta.Key("status").String(s.status);
    meta.Key("rows").Int(s.rows);
    meta.Key("elapsedMs").Double(std::round(s.elapsed_ms * 1000.0) / 1000.0);
    if (!s.error.ok()) {
      meta.Key("error").StartObject();
      meta.Key("code").String(ErrorCodeName(s.error.code()));
      meta.Key("message").String(s.error.message());
      meta.EndObject();
    }
    meta.EndObject();
  }
  meta.EndArray();
  meta.EndObject();
  std::string meta_json = meta.Take();
  // The open meta object: the writer's closing brace is replaced by the separator before the
  // cache members.
  meta_json.back() = ',';
  std::string body = "{\"data\":";
  body += answer.data_json.empty() ? "null" : answer.data_json;
  body += ",\"meta\":";
  body += meta_json;
  return body;
}

std::string MetricEnvelopeJson(const MetricAnswer& answer) {
  std::string body = MetricEnvelopePrefix(answer);
  body.append(answer.cached ? "\"cached\":true}}" : "\"cached\":false}}");
  return body;
}

}  // namespace tributary
