// Metric packs: the declared metrics of a pack (window, parameters, result shape) and the SQL
// of each metric per dialect, loaded from data files (docs/packs.md), never written in C++.
//
// A PackCatalog is loaded once per Runtime (from the embedded files or a packs directory) and
// validated whole: unknown keys, unknown types, template references to parameters that do not
// exist, and dialect files naming metrics the pack does not declare are errors with the file,
// line and column, so a broken pack fails at start-up or reload, not on the first request.
// Thread-safety: a loaded PackCatalog is immutable and shared as shared_ptr<const PackCatalog>.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "metrics/embedded_packs.h"
#include "metrics/sql_template.h"

namespace tributary {

enum class FieldType { kInt, kDouble, kString, kBool, kDate, kTimestamp, kObject, kList };

//! "int", "double", "string", "bool", "date", "timestamp", "object", "list".
std::string_view FieldTypeName(FieldType type);

//! One field of a metric's result.
struct PackField {
  std::string name;
  FieldType type = FieldType::kString;
  bool nullable = false;
  std::string description;
  //! The fields of an `object` or `list` field.
  std::vector<PackField> fields;
};

//! The canonical column of a pack's dataset.
struct PackColumn {
  std::string name;
  FieldType type = FieldType::kString;
  bool nullable = false;
};

//! How a metric's time window is given and computed (spec: "Time, windows and parameters").
enum class WindowKind { kNone, kRange, kDays, kHours, kLast24Hours };

//! "none", "range", "days", "hours", "last_24_hours".
std::string_view WindowKindName(WindowKind kind);

//! A declared parameter beyond the window's own.
struct PackParam {
  enum class Type { kInt, kString, kList };
  std::string name;
  Type type = Type::kString;
  std::string description;
  // kInt
  int64_t min = 0;
  int64_t max = 0;
  std::optional<int64_t> default_int;
  // kString: optional (bound as null when absent); `pattern` must match the whole value.
  std::string pattern;
  // kList: comma separated in URLs.
  std::string item_pattern;
  int64_t min_items = 1;
  int64_t max_items = 100;
  std::vector<std::string> default_list;
};

struct MetricDef {
  std::string name;
  std::string title;
  WindowKind window = WindowKind::kNone;
  int64_t ttl_seconds = 300;
  std::vector<PackParam> params;
  //! True for an `object` result (one row), false for a `list` (rows).
  bool object_shape = false;
  std::vector<PackField> fields;

  const PackParam* FindParam(std::string_view name) const;
};

//! A pack setting a project's dataset binding may override (client_pattern, features).
struct PackSetting {
  std::string name;
  //! A string setting is bound as {{@name}}; a list setting is looped over with {{#name}}.
  std::optional<std::string> text;
  std::vector<std::map<std::string, std::string>> items;
  bool is_list() const { return !text.has_value(); }
};

//! The SQL of a pack's metrics for one dialect.
struct DialectSql {
  std::string dialect;
  std::string file;
  PlaceholderStyle placeholder = PlaceholderStyle::kQuestion;
  char quote = '"';
  //! True when a dotted table name is one identifier (BigQuery's `project.dataset.table`),
  //! false when each part is quoted on its own ("schema"."table").
  bool quote_table_whole = false;
  //! False when the dialect reads the engine's native layout of the dataset (BigQuery's GA4
  //! export) rather than the canonical columns: the binding's table is used as is and its
  //! columns are neither checked nor renamed.
  bool canonical_columns = true;
  //! metric -> part -> template. A single-query metric has the one part "main"; an object
  //! with list fields has "main" and one part per list field.
  std::map<std::string, std::map<std::string, SqlTemplate>> metrics;
};

struct Pack {
  std::string name;
  std::string title;
  std::string dataset;
  std::vector<PackColumn> columns;
  std::vector<PackSetting> settings;
  //! In declaration order.
  std::vector<MetricDef> metrics;
  //! dialect name -> SQL.
  std::map<std::string, DialectSql> dialects;

  const MetricDef* FindMetric(std::string_view name) const;
  const PackSetting* FindSetting(std::string_view name) const;
  std::vector<std::string> MetricNames() const;
};

class PackCatalog {
 public:
  //! Parses and validates pack files (`path` relative to the packs folder: "<pack>/pack.yaml",
  //! "<pack>/<dialect>.yaml"). `origin` prefixes file names in errors.
  static Result<std::shared_ptr<const PackCatalog>> Load(const std::vector<EmbeddedFile>& files,
                                                         const std::string& origin);
  //! The packs compiled into the binary.
  static Result<std::shared_ptr<const PackCatalog>> LoadEmbedded();
  //! Every `*/*.yaml` under `dir`.
  static Result<std::shared_ptr<const PackCatalog>> LoadDirectory(const std::string& dir);

  //! In name order.
  const std::vector<Pack>& packs() const { return packs_; }
  const Pack* Find(std::string_view name) const;
  std::vector<std::string> PackNames() const;

 private:
  std::vector<Pack> packs_;
};

}  // namespace tributary
