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

//! How one field is combined when a metric's answers from several sources are merged
//! (docs/packs.md, "Merge rules").
enum class MergeKind {
  kSum,       //!< the parts' sum (exact)
  kMin,       //!< the smallest part (exact)
  kMax,       //!< the largest part (exact)
  kDistinct,  //!< a distinct count: the parts' sum, an upper bound (approximate)
  kAvg,       //!< the unweighted mean of the parts (approximate)
  kMean,      //!< the mean of the parts weighted by the numeric field `ref` (exact)
  kShare,     //!< 100 * ref / (sum of ref over every merged row), recomputed (exact)
  kRate,      //!< a percentage `ref` / denominator, the denominators recovered from each part
  kGrowth,    //!< 100 * (ref - ref2) / ref2 over the merged values, 0 when ref2 is 0
  kPrevRate,  //!< 100 * ref / ref of the previous merged row, 100 for the first
  kPrevDrop,  //!< ref of the previous merged row - ref, 0 for the first
  kObject,    //!< a nested object, merged field by field by `nested`
  kList,      //!< a nested list, merged by `nested`
};

//! "sum", "min", ... (the pack.yaml word).
std::string_view MergeKindName(MergeKind kind);

struct MergeRule;

struct MergeFieldRule {
  std::string field;
  MergeKind kind = MergeKind::kSum;
  //! kMean: the weight field; kShare, kRate, kPrevRate, kPrevDrop: the count it derives from;
  //! kGrowth: the current value (a dotted path from the object holding the field).
  std::string ref;
  //! kGrowth: the previous value (dotted path).
  std::string ref2;
  //! kObject, kList.
  std::shared_ptr<const MergeRule> nested;
};

struct MergeOrder {
  std::string field;
  bool descending = false;
};

//! How answers of several sources combine into one, for an object or a list of rows.
struct MergeRule {
  //! Lists: rows whose key fields are equal are combined into one. Empty: rows are kept as
  //! they are and concatenated (sample lists).
  std::vector<std::string> key;
  //! Every non-key field of a keyed list or of an object, in declaration order.
  std::vector<MergeFieldRule> fields;
  //! Lists: the metric's order, re-applied after the merge; empty keeps first-seen order.
  std::vector<MergeOrder> order;
  //! Lists: at most this many rows after the merge (a fixed top-N), or the value of the
  //! int parameter `limit_param`.
  std::optional<int64_t> limit;
  std::string limit_param;
  //! Lists: the int parameter that skips rows. Each source is then asked for rows
  //! [0, offset + limit) and the merge skips `offset` of the merged order.
  std::string offset_param;
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
  //! How answers of several sources merge (pack.yaml `merge`, required).
  MergeRule merge;

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
