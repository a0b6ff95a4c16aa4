#include "metrics/metric_runner.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <mutex>
#include <utility>

#include "common/metrics.h"
#include "config/yaml_reader.h"
#include "core/json_out.h"
#include "core/text.h"
#include "core/time_util.h"
#include "metrics/merge.h"
#include "orchestrator/fanout.h"
#include "orchestrator/query_limits.h"

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
        exact = std::find_if(columns.begin(), columns.end(), [&](const TableColumn& c) {
          return AsciiLower(c.name) == AsciiLower(wanted);
        });
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
    const std::string want = AsciiLower(name);
    for (size_t i = 0; i < rows.column_count(); ++i) {
      if (AsciiLower(rows.columns()[i].name) == want) return i;
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
    for (const auto& [name, bindings] : project.datasets) {
      for (const auto& binding : bindings) {
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
    planned.push_back({"", part, std::move(rendered).value()});
  }
  return planned;
}

namespace {

//! What one source gave for a metric.
struct SourceRun {
  SourceOutcome outcome;
  //! The shaped `data` JSON when the source answered.
  std::string data_json;
  //! A problem of the request or the deployment rather than of the source (the binding does
  //! not fit the source's schema or dialect, the pack's SQL is broken): fails the whole call.
  Status call_error;
  //! With explain: the queries, instead of running them.
  std::vector<PlannedQuery> planned;
};

//! Runs (or with `explain`, plans) the metric on one bound source, every part by `deadline`.
SourceRun RunOnSource(const Runtime& runtime, const ProjectConfig& project, const Pack& pack,
                      const MetricDef& metric, const ResolvedParams& params,
                      const DatasetBinding& binding, const QueryLimits& limits,
                      std::chrono::steady_clock::time_point deadline, const CancelToken& cancel,
                      bool explain) {
  using Clock = std::chrono::steady_clock;
  SourceRun run;
  SourceOutcome& outcome = run.outcome;
  outcome.id = binding.source;
  const auto start = Clock::now();
  auto elapsed_ms = [&] {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  auto fail = [&](Status error) {
    outcome.status = StatusName(error);
    outcome.error = std::move(error);
    outcome.elapsed_ms = elapsed_ms();
    return std::move(run);
  };
  // An interrupted query reports CANCELLED; past the deadline that is the source's timeout.
  auto as_timeout = [&](Status error) {
    if (error.code() == ErrorCode::kDeadlineExceeded) return error;
    if (cancel.cancelled() && Clock::now() >= deadline) {
      return DeadlineExceeded("source '" + binding.source + "' gave no answer within " +
                              std::to_string(limits.default_timeout_ms) +
                              " ms; raise the timeout (server.default_timeout_ms, or "
                              "limits.timeout_ms of the project or source) or check the source (" +
                              std::string(error.message()) + ")");
    }
    return error;
  };

  Result<SourceHandle*> source = runtime.FindSource(binding.source);
  if (!source.ok()) return fail(source.status());
  Connector* connector = (*source)->connector();
  const std::string dialect_name = connector->capabilities().dialect;
  auto dialect = pack.dialects.find(dialect_name);
  if (dialect == pack.dialects.end()) {
    std::vector<std::string> have;
    for (const auto& [d, s] : pack.dialects) have.push_back(d);
    run.call_error =
        ConfigError("project '" + project.id + "' binds " + pack.dataset + " to source '" +
                    binding.source + "' (dialect " + dialect_name + "), but pack '" + pack.name +
                    "' has no " + dialect_name + " SQL (dialects: " + JoinNames(have) + ")");
    return run;
  }

  const std::string check_key = std::to_string(runtime.generation()) + "\n" + project.id + "\n" +
                                pack.name + "\n" + binding.name + "\n" + binding.source;
  std::string table_sql;
  if (auto cached = TableCheckCache::Global().Get(check_key)) {
    table_sql = std::move(*cached);
  } else {
    Result<std::string> built =
        BuildTableSql(pack, dialect->second, binding, project.id, connector);
    if (!built.ok()) {
      if (built.status().code() == ErrorCode::kConfigError) {
        run.call_error = built.status();
        return run;
      }
      // The source could not be asked: that is the source failing, not the request.
      return fail(as_timeout(built.status()));
    }
    table_sql = *built;
    TableCheckCache::Global().Put(check_key, table_sql);
  }

  Result<std::vector<PlannedQuery>> planned =
      PlanMetricSql(pack, metric, dialect->second, params, binding, table_sql);
  if (!planned.ok()) {
    run.call_error = planned.status();
    return run;
  }
  for (auto& query : *planned) query.source = binding.source;
  if (explain) {
    run.planned = std::move(planned).value();
    outcome.status = "ok";
    return run;
  }

  std::map<std::string, QueryResult> parts;
  for (auto& query : *planned) {
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0 || (cancel.cancelled() && Clock::now() >= deadline)) {
      return fail(
          DeadlineExceeded("source '" + binding.source + "' gave no answer within " +
                           std::to_string(limits.default_timeout_ms) +
                           " ms; raise the timeout (server.default_timeout_ms, or "
                           "limits.timeout_ms of the project or source) or check the source"));
    }
    QueryRequest request;
    request.sql = std::move(query.sql.sql);
    request.params = std::move(query.sql.params);
    if (dialect->second.placeholder == PlaceholderStyle::kNamed) {
      request.param_names = std::move(query.sql.param_names);
    }
    request.max_rows = limits.max_rows;
    request.max_bytes = limits.max_bytes;
    request.timeout = remaining;
    request.cancel = cancel;
    request.cost_warn_bytes = limits.cost_warn_bytes;
    request.cost_deny_bytes = limits.cost_deny_bytes;
    request.cost_deny_from = limits.cost_deny_from;
    // The SQL ships with Tributary (or the operator's packs_dir) and values are bound.
    request.skip_statement_guard = true;
    auto query_start = Clock::now();
    Result<QueryResult> result = connector->Execute(request);
    double seconds = std::chrono::duration<double>(Clock::now() - query_start).count();
    Metrics::Global().RecordSourceQuery(
        binding.source, (*source)->config().type,
        result.ok() ? std::string_view("ok") : ErrorCodeName(result.status().code()), seconds);
    if (!result.ok()) {
      return fail(as_timeout(result.status().WithContext("source '" + binding.source + "'")));
    }
    if (query.part == "main") outcome.rows = static_cast<int64_t>(result->row_count());
    for (auto& warning : result->stats().warnings) outcome.warnings.push_back(warning);
    parts.emplace(query.part, std::move(result).value());
  }
  outcome.elapsed_ms = elapsed_ms();
  outcome.status = "ok";

  Shaper shaper(metric, "metric " + pack.name + "/" + metric.name + " (" + dialect_name + ")");
  Result<std::string> shaped = shaper.Shape(parts);
  if (!shaped.ok()) {
    run.call_error = shaped.status();
    return run;
  }
  run.data_json = std::move(shaped).value();
  return run;
}

// A job abandoned past its deadline plus this is reported as timed out without waiting more.
constexpr std::chrono::milliseconds kAbandonGrace{1000};

//! RunMetric, or with `explain` set, everything up to running the SQL, which it stores there.
Result<MetricAnswer> RunOrExplain(const Runtime& runtime, const MetricCall& call,
                                  std::vector<PlannedQuery>* explain) {
  using Clock = std::chrono::steady_clock;
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
                        ResolveParams(*metric, call.params, NowMicros(), {"source", "merge"}));

  auto bound = project->datasets.find(pack->dataset);
  if (bound == project->datasets.end() || bound->second.empty()) {
    return NotFound("project '" + project->id + "' binds no dataset '" + pack->dataset +
                    "', which pack '" + pack->name + "' reads; add datasets." + pack->dataset +
                    ": {source: <id>, table: <table>} to the project in the config");
  }
  std::vector<std::string> bound_sources;
  for (const auto& b : bound->second) bound_sources.push_back(b.source);
  std::vector<const DatasetBinding*> selected;
  bool merge = true;
  bool has_source = false;
  bool has_merge = false;
  for (const auto& [name, value] : call.params) {
    if ((name == "source" && std::exchange(has_source, true)) ||
        (name == "merge" && std::exchange(has_merge, true))) {
      return InvalidArgument("parameter '" + name + "' is given more than once; give it once");
    }
    if (name == "source") {
      auto it = std::find(bound_sources.begin(), bound_sources.end(), value);
      if (it == bound_sources.end()) {
        return NotFound("source '" + value + "' does not hold dataset '" + pack->dataset +
                        "' for project '" + project->id +
                        "'; it is bound to: " + JoinNames(bound_sources));
      }
      selected.push_back(&bound->second[static_cast<size_t>(it - bound_sources.begin())]);
    } else if (name == "merge") {
      if (value != "none" && value != "pack") {
        return InvalidArgument("merge='" + value +
                               "' is not a merge mode; use merge=none (each source's answer "
                               "side by side) or merge=pack (the pack's merge rules, the "
                               "default)");
      }
      merge = value == "pack";
    }
  }
  if (selected.empty()) {
    for (const auto& b : bound->second) selected.push_back(&b);
  }

  MetricAnswer answer;
  answer.project = project->id;
  answer.pack = pack->name;
  answer.metric = metric->name;
  answer.now = params.now;
  answer.from = params.from;
  answer.to = params.to;
  answer.merged = merge;

  const auto start = Clock::now();
  auto limits_of = [&](const DatasetBinding& b) {
    const SourceConfig* source = config.FindSource(b.source);
    return EffectiveQueryLimits(config, project, source ? *source : SourceConfig{});
  };

  std::vector<SourceRun> runs;
  if (explain || selected.size() == 1) {
    // One source (or only planning): no fan-out, the caller's thread does the work.
    for (const DatasetBinding* b : selected) {
      QueryLimits limits = limits_of(*b);
      runs.push_back(RunOnSource(runtime, *project, *pack, *metric, params, *b, limits,
                                 start + std::chrono::milliseconds(limits.default_timeout_ms),
                                 call.cancel, explain != nullptr));
    }
  } else {
    // Jobs may outlive this call when abandoned past their deadline: they keep the runtime
    // (config, packs, connectors) and their own inputs alive.
    std::shared_ptr<const Runtime> keep = runtime.weak_from_this().lock();
    auto shared_params =
        std::make_shared<const ResolvedParams>(merge ? PerSourceParams(*metric, params) : params);
    std::vector<std::shared_ptr<SourceRun>> slots;
    std::vector<FanoutJob> jobs;
    for (const DatasetBinding* b : selected) {
      QueryLimits limits = limits_of(*b);
      auto slot = std::make_shared<SourceRun>();
      slots.push_back(slot);
      const auto deadline = start + std::chrono::milliseconds(limits.default_timeout_ms);
      jobs.push_back({deadline, [keep, &runtime, slot, project, pack, metric, shared_params, b,
                                 limits, deadline](const CancelToken& token) {
                        *slot = RunOnSource(runtime, *project, *pack, *metric, *shared_params, *b,
                                            limits, deadline, token, false);
                      }});
    }
    std::vector<FanoutEnd> ends =
        RunFanout(std::move(jobs), call.cancel, config.server.fanout_threads, kAbandonGrace);
    for (size_t i = 0; i < slots.size(); ++i) {
      if (ends[i] == FanoutEnd::kFinished) {
        runs.push_back(std::move(*slots[i]));
        continue;
      }
      SourceRun late;
      late.outcome.id = selected[i]->source;
      late.outcome.status = "timeout";
      late.outcome.elapsed_ms =
          std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      late.outcome.error = DeadlineExceeded(
          "source '" + selected[i]->source + "' gave no answer within " +
          std::to_string(limits_of(*selected[i]).default_timeout_ms) +
          " ms and did not stop when cancelled; raise the timeout (server.default_timeout_ms, or "
          "limits.timeout_ms of the project or source) or check the "
          "source");
      runs.push_back(std::move(late));
    }
  }

  for (auto& run : runs) {
    if (!run.call_error.ok()) return run.call_error;
  }
  std::vector<std::string> ok_ids;
  std::vector<std::string> ok_data;
  for (auto& run : runs) {
    if (run.outcome.status == "ok") {
      ok_ids.push_back(run.outcome.id);
      ok_data.push_back(std::move(run.data_json));
      if (explain) {
        for (auto& q : run.planned) explain->push_back(std::move(q));
      }
    } else if (answer.failure.ok()) {
      answer.failure = run.outcome.error;
    }
    answer.sources.push_back(std::move(run.outcome));
  }
  if (ok_ids.empty()) return answer;
  // Explaining stops at a source that cannot be asked (ExplainMetric returns its error).
  if (explain) return answer;
  answer.partial = ok_ids.size() < runs.size();
  answer.failure = Status::Ok();
  if (!merge) {
    // Side by side: {"<source>": <its data>, ...}; failed sources only in meta.sources.
    std::string data = "{";
    for (size_t i = 0; i < ok_ids.size(); ++i) {
      if (i) data += ",";
      JsonOut key;
      key.String(ok_ids[i]);
      data += key.Take();
      data += ":";
      data += ok_data[i];
    }
    data += "}";
    answer.data_json = std::move(data);
  } else if (selected.size() == 1) {
    answer.data_json = std::move(ok_data.front());
  } else {
    TRIB_ASSIGN_OR_RETURN(MergedData merged, MergeMetricData(*metric, ok_data, params));
    answer.data_json = std::move(merged.json);
    answer.approximate = std::move(merged.approximate);
  }
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
  meta.Key("partial").Bool(answer.partial);
  if (!answer.approximate.empty()) {
    meta.Key("approximate").StartArray();
    for (const auto& field : answer.approximate) meta.String(field);
    meta.EndArray();
  }
  if (!answer.merged) meta.Key("merge").String("none");
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
  bool any_warning = false;
  for (const auto& s : answer.sources) any_warning = any_warning || !s.warnings.empty();
  if (any_warning) {
    meta.Key("warnings").StartArray();
    for (const auto& s : answer.sources) {
      for (const auto& w : s.warnings) {
        meta.StartObject();
        meta.Key("code").String(w.code);
        meta.Key("message").String(w.message);
        meta.Key("source").String(s.id);
        meta.Key("bytes").Int(w.bytes);
        meta.Key("usd").Double(w.usd);
        meta.EndObject();
      }
    }
    meta.EndArray();
  }
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
