// Loading and validating metric packs (declared in metrics/pack.h, format in docs/packs.md).
//
// Pack files are read with the config's schema-checked YAML reader, so their errors look like
// config errors ("file:line:col: path: problem; fix"). Scalars are taken verbatim: SQL,
// regular expressions and defaults are never subject to ${VAR} substitution.
#include "metrics/pack.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "config/yaml_reader.h"

namespace tributary {

using config_internal::Field;
using config_internal::JoinNames;
using config_internal::YamlReader;
using YamlValue = config_internal::Value;

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kInt:
      return "int";
    case FieldType::kDouble:
      return "double";
    case FieldType::kString:
      return "string";
    case FieldType::kBool:
      return "bool";
    case FieldType::kDate:
      return "date";
    case FieldType::kTimestamp:
      return "timestamp";
    case FieldType::kObject:
      return "object";
    case FieldType::kList:
      return "list";
  }
  return "string";
}

std::string_view MergeKindName(MergeKind kind) {
  switch (kind) {
    case MergeKind::kSum:
      return "sum";
    case MergeKind::kMin:
      return "min";
    case MergeKind::kMax:
      return "max";
    case MergeKind::kDistinct:
      return "distinct";
    case MergeKind::kAvg:
      return "avg";
    case MergeKind::kMean:
      return "mean";
    case MergeKind::kShare:
      return "share";
    case MergeKind::kRate:
      return "rate";
    case MergeKind::kGrowth:
      return "growth";
    case MergeKind::kPrevRate:
      return "prev_rate";
    case MergeKind::kPrevDrop:
      return "prev_drop";
    case MergeKind::kObject:
      return "object";
    case MergeKind::kList:
      return "list";
  }
  return "sum";
}

std::string_view WindowKindName(WindowKind kind) {
  switch (kind) {
    case WindowKind::kNone:
      return "none";
    case WindowKind::kRange:
      return "range";
    case WindowKind::kDays:
      return "days";
    case WindowKind::kHours:
      return "hours";
    case WindowKind::kLast24Hours:
      return "last_24_hours";
  }
  return "none";
}

const PackParam* MetricDef::FindParam(std::string_view param) const {
  for (const auto& p : params) {
    if (p.name == param) return &p;
  }
  return nullptr;
}

const MetricDef* Pack::FindMetric(std::string_view metric) const {
  for (const auto& m : metrics) {
    if (m.name == metric) return &m;
  }
  return nullptr;
}

const PackSetting* Pack::FindSetting(std::string_view setting) const {
  for (const auto& s : settings) {
    if (s.name == setting) return &s;
  }
  return nullptr;
}

std::vector<std::string> Pack::MetricNames() const {
  std::vector<std::string> names;
  for (const auto& m : metrics) names.push_back(m.name);
  return names;
}

const Pack* PackCatalog::Find(std::string_view pack) const {
  for (const auto& p : packs_) {
    if (p.name == pack) return &p;
  }
  return nullptr;
}

std::vector<std::string> PackCatalog::PackNames() const {
  std::vector<std::string> names;
  for (const auto& p : packs_) names.push_back(p.name);
  return names;
}

namespace {

const std::vector<std::string> kPackKeys = {"pack",    "title",    "dataset",
                                            "columns", "settings", "metrics"};
const std::vector<std::string> kColumnKeys = {"name", "type", "nullable"};
const std::vector<std::string> kMetricKeys = {"title",  "window", "ttl_seconds",
                                              "params", "result", "merge"};
const std::vector<std::string> kListMergeKeys = {"key", "fields", "order", "limit", "offset"};
const std::vector<std::string> kObjectMergeKeys = {"fields"};
const std::vector<std::string> kScalarMergeWords = {"sum", "min", "max", "distinct", "avg"};
const std::vector<std::string> kRefMergeWords = {"mean",   "share",     "rate",
                                                 "growth", "prev_rate", "prev_drop"};

bool IsNumeric(FieldType type) {
  return type == FieldType::kInt || type == FieldType::kDouble;
}

const PackField* FindField(const std::vector<PackField>& fields, std::string_view name) {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<std::string> FieldNames(const std::vector<PackField>& fields) {
  std::vector<std::string> names;
  for (const auto& f : fields) names.push_back(f.name);
  return names;
}
const std::vector<std::string> kParamKeys = {"name",      "type",     "description", "min",
                                             "max",       "default",  "pattern",     "item_pattern",
                                             "min_items", "max_items"};
const std::vector<std::string> kResultKeys = {"shape", "fields"};
const std::vector<std::string> kFieldKeys = {"name", "type", "nullable", "description", "fields"};
const std::vector<std::string> kDialectKeys = {"dialect",       "placeholder",    "quote",
                                               "table_quoting", "dataset_layout", "metrics"};
const std::vector<std::string> kWindowNames = {"none", "range", "days", "hours", "last_24_hours"};
const std::vector<std::string> kScalarTypes = {"int",  "double", "string",
                                               "bool", "date",   "timestamp"};

//! The values a window binds (docs/packs.md, "Windows and their parameters").
std::vector<std::string> WindowValues(WindowKind kind) {
  switch (kind) {
    case WindowKind::kNone:
      return {"now"};
    case WindowKind::kRange:
      return {"now", "from", "to", "prev_from"};
    case WindowKind::kDays:
    case WindowKind::kHours:
    case WindowKind::kLast24Hours:
      return {"now", "from", "to"};
  }
  return {"now"};
}

class PackLoader {
 public:
  PackLoader(std::string file, const std::string& text)
      : reader_(std::move(file), [](const std::string&) { return std::nullopt; }), text_(text) {}

  Result<YamlValue> Root() {
    try {
      return reader_.Root(YAML::Load(text_));
    } catch (const YAML::Exception& e) {
      return ConfigError(reader_.file() + ":" + std::to_string(e.mark.line + 1) + ":" +
                         std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
    }
  }

  Result<Pack> LoadPack(const std::string& expected_name) {
    TRIB_ASSIGN_OR_RETURN(YamlValue root, Root());
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(root));
    Pack pack;
    bool has_metrics = false;
    for (const auto& field : fields) {
      if (field.key == "pack") {
        TRIB_ASSIGN_OR_RETURN(pack.name, Raw(field.value));
        if (pack.name != expected_name) {
          return reader_.Error(field.value, "the pack is named '" + pack.name +
                                                "' but lives in folder '" + expected_name +
                                                "'; make them the same");
        }
      } else if (field.key == "title") {
        TRIB_ASSIGN_OR_RETURN(pack.title, Raw(field.value));
      } else if (field.key == "dataset") {
        TRIB_ASSIGN_OR_RETURN(pack.dataset, Raw(field.value));
      } else if (field.key == "columns") {
        TRIB_ASSIGN_OR_RETURN(pack.columns, Columns(field.value));
      } else if (field.key == "settings") {
        TRIB_ASSIGN_OR_RETURN(pack.settings, Settings(field.value));
      } else if (field.key == "metrics") {
        has_metrics = true;
        TRIB_ASSIGN_OR_RETURN(std::vector<Field> metrics, reader_.Mapping(field.value, "metric"));
        for (const auto& m : metrics) {
          TRIB_ASSIGN_OR_RETURN(MetricDef metric, Metric(m));
          pack.metrics.push_back(std::move(metric));
        }
      } else {
        return reader_.UnknownKey(field, kPackKeys, "allowed keys");
      }
    }
    if (pack.name.empty()) {
      return reader_.MissingKey(root.location, "", "pack", "add pack: " + expected_name);
    }
    if (pack.dataset.empty()) {
      return reader_.MissingKey(root.location, "", "dataset",
                                "name the project dataset the pack reads, e.g. dataset: llm_logs");
    }
    if (!has_metrics || pack.metrics.empty()) {
      return reader_.MissingKey(root.location, "", "metrics", "declare at least one metric");
    }
    return pack;
  }

  Status LoadDialect(Pack& pack, const std::string& expected_dialect) {
    TRIB_ASSIGN_OR_RETURN(YamlValue root, Root());
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(root));
    DialectSql dialect;
    dialect.file = reader_.file();
    bool has_placeholder = false;
    const Field* metrics_field = nullptr;
    for (const auto& field : fields) {
      if (field.key == "dialect") {
        TRIB_ASSIGN_OR_RETURN(dialect.dialect, Raw(field.value));
        if (dialect.dialect != expected_dialect) {
          return reader_.Error(field.value, "the file is " + expected_dialect +
                                                ".yaml but says dialect '" + dialect.dialect +
                                                "'; make them the same");
        }
      } else if (field.key == "placeholder") {
        has_placeholder = true;
        TRIB_ASSIGN_OR_RETURN(std::string style, Raw(field.value));
        if (style == "dollar") {
          dialect.placeholder = PlaceholderStyle::kDollar;
        } else if (style == "question") {
          dialect.placeholder = PlaceholderStyle::kQuestion;
        } else if (style == "named") {
          dialect.placeholder = PlaceholderStyle::kNamed;
        } else {
          return reader_.Error(field.value, "unknown placeholder style '" + style +
                                                "'; use dollar, question or named");
        }
      } else if (field.key == "quote") {
        TRIB_ASSIGN_OR_RETURN(std::string quote, Raw(field.value));
        if (quote != "\"" && quote != "`") {
          return reader_.Error(field.value, "quote must be \" or `");
        }
        dialect.quote = quote[0];
      } else if (field.key == "table_quoting") {
        TRIB_ASSIGN_OR_RETURN(std::string how, Raw(field.value));
        if (how != "parts" && how != "whole") {
          return reader_.Error(field.value, "table_quoting must be parts or whole");
        }
        dialect.quote_table_whole = how == "whole";
      } else if (field.key == "dataset_layout") {
        TRIB_ASSIGN_OR_RETURN(std::string layout, Raw(field.value));
        if (layout != "canonical" && layout != "native") {
          return reader_.Error(field.value, "dataset_layout must be canonical or native");
        }
        dialect.canonical_columns = layout == "canonical";
      } else if (field.key == "metrics") {
        metrics_field = &field;
      } else {
        return reader_.UnknownKey(field, kDialectKeys, "allowed keys");
      }
    }
    if (dialect.dialect.empty()) {
      return reader_.MissingKey(root.location, "", "dialect", "add dialect: " + expected_dialect);
    }
    if (!has_placeholder) {
      return reader_.MissingKey(root.location, "", "placeholder",
                                "add placeholder: dollar, question or named");
    }
    if (!metrics_field) {
      return reader_.MissingKey(root.location, "", "metrics", "add the SQL of the metrics");
    }
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> metrics,
                          reader_.Mapping(metrics_field->value, "metric"));
    for (const auto& m : metrics) {
      const MetricDef* def = pack.FindMetric(m.key);
      if (!def) {
        return reader_.Error(m.key_location, m.value.path,
                             "pack '" + pack.name + "' declares no metric '" + m.key +
                                 "'; declare it in " + pack.name + "/pack.yaml or use one of " +
                                 JoinNames(pack.MetricNames()));
      }
      std::map<std::string, SqlTemplate> parts;
      std::vector<std::string> list_parts;
      for (const auto& f : def->fields) {
        if (f.type == FieldType::kList) list_parts.push_back(f.name);
      }
      if (m.value.node.IsScalar()) {
        if (!list_parts.empty()) {
          return reader_.Error(m.value, "metric '" + m.key + "' has list fields (" +
                                            JoinNames(list_parts) +
                                            "): write a mapping with a query for main and each");
        }
        TRIB_ASSIGN_OR_RETURN(SqlTemplate t, Template(m.value, pack, *def));
        parts.emplace("main", std::move(t));
      } else {
        TRIB_ASSIGN_OR_RETURN(std::vector<Field> part_fields, reader_.Mapping(m.value, "part"));
        for (const auto& part : part_fields) {
          if (part.key != "main" &&
              std::find(list_parts.begin(), list_parts.end(), part.key) == list_parts.end()) {
            std::vector<std::string> allowed = {"main"};
            allowed.insert(allowed.end(), list_parts.begin(), list_parts.end());
            return reader_.UnknownKey(part, allowed, "query parts of " + m.key);
          }
          TRIB_ASSIGN_OR_RETURN(SqlTemplate t, Template(part.value, pack, *def));
          parts.emplace(part.key, std::move(t));
        }
        std::vector<std::string> needed = {"main"};
        needed.insert(needed.end(), list_parts.begin(), list_parts.end());
        for (const auto& n : needed) {
          if (!parts.count(n)) {
            return reader_.MissingKey(m.key_location, m.value.path, n,
                                      "add the query for '" + n + "'");
          }
        }
      }
      dialect.metrics.emplace(m.key, std::move(parts));
    }
    pack.dialects.emplace(dialect.dialect, std::move(dialect));
    return Status::Ok();
  }

 private:
  Result<std::string> Raw(const YamlValue& value) const {
    if (!value.node.IsScalar()) return reader_.Error(value, "expected a text value");
    return value.node.Scalar();
  }

  Result<FieldType> Type(const YamlValue& value, bool allow_nested) const {
    TRIB_ASSIGN_OR_RETURN(std::string name, Raw(value));
    for (FieldType t :
         {FieldType::kInt, FieldType::kDouble, FieldType::kString, FieldType::kBool,
          FieldType::kDate, FieldType::kTimestamp, FieldType::kObject, FieldType::kList}) {
      if (FieldTypeName(t) == name) {
        if (!allow_nested && (t == FieldType::kObject || t == FieldType::kList)) break;
        return t;
      }
    }
    return reader_.Error(value, "unknown type '" + name + "'; use one of " +
                                    JoinNames(kScalarTypes) +
                                    (allow_nested ? ", object, list" : ""));
  }

  Result<std::vector<PackColumn>> Columns(const YamlValue& value) const {
    TRIB_ASSIGN_OR_RETURN(std::vector<YamlValue> items, reader_.Sequence(value));
    std::vector<PackColumn> columns;
    for (const auto& item : items) {
      TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(item));
      PackColumn column;
      for (const auto& f : fields) {
        if (f.key == "name") {
          TRIB_ASSIGN_OR_RETURN(column.name, Raw(f.value));
        } else if (f.key == "type") {
          TRIB_ASSIGN_OR_RETURN(column.type, Type(f.value, false));
        } else if (f.key == "nullable") {
          TRIB_ASSIGN_OR_RETURN(column.nullable, reader_.Bool(f.value));
        } else {
          return reader_.UnknownKey(f, kColumnKeys, "allowed keys");
        }
      }
      if (column.name.empty()) {
        return reader_.MissingKey(item.location, item.path, "name", "name the column");
      }
      columns.push_back(std::move(column));
    }
    return columns;
  }

  Result<std::vector<PackSetting>> Settings(const YamlValue& value) const {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(value, "setting"));
    std::vector<PackSetting> settings;
    for (const auto& f : fields) {
      PackSetting setting;
      setting.name = f.key;
      if (f.value.node.IsScalar()) {
        setting.text = f.value.node.Scalar();
      } else {
        TRIB_ASSIGN_OR_RETURN(std::vector<YamlValue> items, reader_.Sequence(f.value));
        for (const auto& item : items) {
          TRIB_ASSIGN_OR_RETURN(std::vector<Field> item_fields, reader_.Mapping(item));
          std::map<std::string, std::string> entry;
          for (const auto& kv : item_fields) {
            TRIB_ASSIGN_OR_RETURN(entry[kv.key], Raw(kv.value));
          }
          setting.items.push_back(std::move(entry));
        }
      }
      settings.push_back(std::move(setting));
    }
    return settings;
  }

  Result<std::vector<PackField>> Fields(const YamlValue& value, bool top_level) const {
    TRIB_ASSIGN_OR_RETURN(std::vector<YamlValue> items, reader_.Sequence(value));
    std::vector<PackField> out;
    std::set<std::string> seen;
    for (const auto& item : items) {
      TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(item));
      PackField field;
      const YamlValue* nested = nullptr;
      for (const auto& f : fields) {
        if (f.key == "name") {
          TRIB_ASSIGN_OR_RETURN(field.name, Raw(f.value));
        } else if (f.key == "type") {
          TRIB_ASSIGN_OR_RETURN(field.type, Type(f.value, top_level));
        } else if (f.key == "nullable") {
          TRIB_ASSIGN_OR_RETURN(field.nullable, reader_.Bool(f.value));
        } else if (f.key == "description") {
          TRIB_ASSIGN_OR_RETURN(field.description, Raw(f.value));
        } else if (f.key == "fields") {
          nested = &f.value;
        } else {
          return reader_.UnknownKey(f, kFieldKeys, "allowed keys");
        }
      }
      if (field.name.empty()) {
        return reader_.MissingKey(item.location, item.path, "name", "name the field");
      }
      if (!seen.insert(field.name).second) {
        return reader_.Error(item, "field '" + field.name + "' is declared twice");
      }
      bool is_nested = field.type == FieldType::kObject || field.type == FieldType::kList;
      if (is_nested && !nested) {
        return reader_.MissingKey(item.location, item.path, "fields",
                                  "list the fields of '" + field.name + "'");
      }
      if (!is_nested && nested) {
        return reader_.Error(*nested, "only object and list fields have fields");
      }
      if (nested) {
        TRIB_ASSIGN_OR_RETURN(field.fields, Fields(*nested, false));
      }
      out.push_back(std::move(field));
    }
    return out;
  }

  Result<PackParam> Param(const YamlValue& item) const {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(item));
    PackParam param;
    const YamlValue* default_value = nullptr;
    bool has_type = false;
    bool has_min = false;
    bool has_max = false;
    for (const auto& f : fields) {
      if (f.key == "name") {
        TRIB_ASSIGN_OR_RETURN(param.name, Raw(f.value));
      } else if (f.key == "type") {
        has_type = true;
        TRIB_ASSIGN_OR_RETURN(std::string t, Raw(f.value));
        if (t == "int") {
          param.type = PackParam::Type::kInt;
        } else if (t == "string") {
          param.type = PackParam::Type::kString;
        } else if (t == "list") {
          param.type = PackParam::Type::kList;
        } else {
          return reader_.Error(f.value,
                               "unknown parameter type '" + t + "'; use int, string or list");
        }
      } else if (f.key == "description") {
        TRIB_ASSIGN_OR_RETURN(param.description, Raw(f.value));
      } else if (f.key == "min") {
        has_min = true;
        TRIB_ASSIGN_OR_RETURN(param.min, reader_.Int(f.value, INT64_MIN, INT64_MAX));
      } else if (f.key == "max") {
        has_max = true;
        TRIB_ASSIGN_OR_RETURN(param.max, reader_.Int(f.value, INT64_MIN, INT64_MAX));
      } else if (f.key == "min_items") {
        TRIB_ASSIGN_OR_RETURN(param.min_items, reader_.Int(f.value, 0, 1000));
      } else if (f.key == "max_items") {
        TRIB_ASSIGN_OR_RETURN(param.max_items, reader_.Int(f.value, 1, 1000));
      } else if (f.key == "default") {
        default_value = &f.value;
      } else if (f.key == "pattern" || f.key == "item_pattern") {
        TRIB_ASSIGN_OR_RETURN(std::string pattern, Raw(f.value));
        try {
          std::regex check(pattern, std::regex::ECMAScript);
        } catch (const std::regex_error&) {
          return reader_.Error(f.value, "invalid regular expression");
        }
        (f.key == "pattern" ? param.pattern : param.item_pattern) = std::move(pattern);
      } else {
        return reader_.UnknownKey(f, kParamKeys, "allowed keys");
      }
    }
    if (param.name.empty()) {
      return reader_.MissingKey(item.location, item.path, "name", "name the parameter");
    }
    if (!has_type) {
      return reader_.MissingKey(item.location, item.path, "type", "add type: int, string or list");
    }
    if (param.type == PackParam::Type::kInt) {
      if (!has_min || !has_max || param.min > param.max) {
        return reader_.Error(item, "an int parameter needs min <= max");
      }
      if (default_value) {
        TRIB_ASSIGN_OR_RETURN(int64_t d, reader_.Int(*default_value, param.min, param.max));
        param.default_int = d;
      }
    } else if (param.type == PackParam::Type::kList) {
      if (param.min_items > param.max_items) {
        return reader_.Error(item, "min_items must not exceed max_items");
      }
      if (default_value) {
        TRIB_ASSIGN_OR_RETURN(std::vector<YamlValue> items, reader_.Sequence(*default_value));
        for (const auto& v : items) {
          TRIB_ASSIGN_OR_RETURN(std::string s, Raw(v));
          param.default_list.push_back(std::move(s));
        }
      }
    } else if (default_value) {
      return reader_.Error(*default_value,
                           "a string parameter has no default: it is null when absent");
    }
    return param;
  }

  Result<MetricDef> Metric(const Field& entry) const {
    MetricDef metric;
    metric.name = entry.key;
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader_.Mapping(entry.value));
    bool has_window = false;
    bool has_result = false;
    const YamlValue* merge = nullptr;
    for (const auto& f : fields) {
      if (f.key == "merge") {
        merge = &f.value;
      } else if (f.key == "title") {
        TRIB_ASSIGN_OR_RETURN(metric.title, Raw(f.value));
      } else if (f.key == "window") {
        has_window = true;
        TRIB_ASSIGN_OR_RETURN(std::string w, Raw(f.value));
        bool known = false;
        for (WindowKind k : {WindowKind::kNone, WindowKind::kRange, WindowKind::kDays,
                             WindowKind::kHours, WindowKind::kLast24Hours}) {
          if (WindowKindName(k) == w) {
            metric.window = k;
            known = true;
          }
        }
        if (!known) {
          return reader_.Error(f.value,
                               "unknown window '" + w + "'; use one of " + JoinNames(kWindowNames));
        }
      } else if (f.key == "ttl_seconds") {
        TRIB_ASSIGN_OR_RETURN(metric.ttl_seconds, reader_.Int(f.value, 0, 86400 * 7));
      } else if (f.key == "params") {
        TRIB_ASSIGN_OR_RETURN(std::vector<YamlValue> items, reader_.Sequence(f.value));
        for (const auto& item : items) {
          TRIB_ASSIGN_OR_RETURN(PackParam p, Param(item));
          metric.params.push_back(std::move(p));
        }
      } else if (f.key == "result") {
        has_result = true;
        TRIB_ASSIGN_OR_RETURN(std::vector<Field> result, reader_.Mapping(f.value));
        bool has_shape = false;
        bool has_fields = false;
        for (const auto& r : result) {
          if (r.key == "shape") {
            has_shape = true;
            TRIB_ASSIGN_OR_RETURN(std::string shape, Raw(r.value));
            if (shape != "object" && shape != "list") {
              return reader_.Error(r.value, "shape must be object or list");
            }
            metric.object_shape = shape == "object";
          } else if (r.key == "fields") {
            has_fields = true;
            TRIB_ASSIGN_OR_RETURN(metric.fields, Fields(r.value, true));
          } else {
            return reader_.UnknownKey(r, kResultKeys, "allowed keys");
          }
        }
        if (!has_shape || !has_fields) {
          return reader_.Error(f.value, "a result needs shape (object or list) and fields");
        }
      } else {
        return reader_.UnknownKey(f, kMetricKeys, "allowed keys");
      }
    }
    if (!has_window) {
      return reader_.MissingKey(entry.key_location, entry.value.path, "window",
                                "add window: " + JoinNames(kWindowNames));
    }
    if (!has_result) {
      return reader_.MissingKey(entry.key_location, entry.value.path, "result",
                                "declare the result's shape and fields");
    }
    if (!metric.object_shape) {
      for (const auto& field : metric.fields) {
        if (field.type == FieldType::kObject || field.type == FieldType::kList) {
          return reader_.Error(entry.value, "a list result's fields must be scalars ('" +
                                                field.name + "' is " +
                                                std::string(FieldTypeName(field.type)) + ")");
        }
      }
    }
    if (!merge) {
      return reader_.MissingKey(
          entry.key_location, entry.value.path, "merge",
          std::string("declare how answers of several sources merge, e.g. ") +
              (metric.object_shape
                   ? "merge: {fields: {total: sum}}"
                   : "merge: {key: [date], fields: {requests: sum}, order: [date]}") +
              " (docs/packs.md, \"Merge rules\")");
    }
    TRIB_ASSIGN_OR_RETURN(metric.merge,
                          MergeOf(*merge, metric, metric.fields, !metric.object_shape));
    return metric;
  }

  //! A `merge` mapping for a list (`is_list`) or an object whose fields are `fields`.
  Result<MergeRule> MergeOf(const YamlValue& value, const MetricDef& metric,
                            const std::vector<PackField>& fields, bool is_list) const {
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> entries, reader_.Mapping(value));
    MergeRule rule;
    const Field* field_rules = nullptr;
    for (const auto& e : entries) {
      if (!is_list && e.key != "fields") {
        return reader_.UnknownKey(e, kObjectMergeKeys, "merge keys of an object");
      }
      if (e.key == "key") {
        TRIB_ASSIGN_OR_RETURN(std::vector<YamlValue> items, reader_.Sequence(e.value));
        for (const auto& item : items) {
          TRIB_ASSIGN_OR_RETURN(std::string name, Raw(item));
          TRIB_RETURN_IF_ERROR(CheckField(item, fields, name, false));
          rule.key.push_back(std::move(name));
        }
      } else if (e.key == "fields") {
        field_rules = &e;
      } else if (e.key == "order") {
        TRIB_ASSIGN_OR_RETURN(std::vector<YamlValue> items, reader_.Sequence(e.value));
        for (const auto& item : items) {
          TRIB_ASSIGN_OR_RETURN(std::string name, Raw(item));
          MergeOrder order;
          order.descending = !name.empty() && name.front() == '-';
          order.field = order.descending ? name.substr(1) : name;
          TRIB_RETURN_IF_ERROR(CheckField(item, fields, order.field, false));
          rule.order.push_back(std::move(order));
        }
      } else if (e.key == "limit" || e.key == "offset") {
        TRIB_ASSIGN_OR_RETURN(std::string text, Raw(e.value));
        const bool is_number = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
          return c >= '0' && c <= '9';
        });
        if (is_number && e.key == "limit") {
          TRIB_ASSIGN_OR_RETURN(int64_t n, reader_.Int(e.value, 1, 1000000));
          rule.limit = n;
          continue;
        }
        const PackParam* param = metric.FindParam(text);
        if (!param || param->type != PackParam::Type::kInt) {
          std::vector<std::string> ints;
          for (const auto& p : metric.params) {
            if (p.type == PackParam::Type::kInt) ints.push_back(p.name);
          }
          return reader_.Error(e.value, "'" + text + "' is not an int parameter of metric '" +
                                            metric.name + "'; write " +
                                            (e.key == "limit" ? "a number or " : "") +
                                            "one of its int parameters (" +
                                            (ints.empty() ? "it has none" : JoinNames(ints)) + ")");
        }
        (e.key == "limit" ? rule.limit_param : rule.offset_param) = text;
      } else {
        return reader_.UnknownKey(e, kListMergeKeys, "merge keys of a list");
      }
    }
    if (!rule.offset_param.empty() && rule.limit_param.empty()) {
      return reader_.Error(value, "offset needs limit: <int parameter> beside it");
    }
    std::set<std::string> ruled(rule.key.begin(), rule.key.end());
    if (field_rules) {
      TRIB_ASSIGN_OR_RETURN(std::vector<Field> items, reader_.Mapping(field_rules->value, "field"));
      for (const auto& item : items) {
        const PackField* field = FindField(fields, item.key);
        if (!field) {
          return reader_.Error(item.key_location, item.value.path,
                               "the result has no field '" + item.key + "'; " +
                                   config_internal::DidYouMean(item.key, FieldNames(fields)) +
                                   "fields: " + JoinNames(FieldNames(fields)));
        }
        if (std::find(rule.key.begin(), rule.key.end(), item.key) != rule.key.end()) {
          return reader_.Error(item.key_location, item.value.path,
                               "'" + item.key +
                                   "' is a key field: rows with equal keys are "
                                   "combined, so it has no rule; remove it here");
        }
        if (is_list && rule.key.empty()) {
          return reader_.Error(item.key_location, item.value.path,
                               "a list merged without key keeps its rows whole, so its fields "
                               "have no rules; add key: [...] or remove fields");
        }
        TRIB_ASSIGN_OR_RETURN(MergeFieldRule r, FieldMerge(item, *field, metric, fields, is_list));
        ruled.insert(item.key);
        rule.fields.push_back(std::move(r));
      }
    }
    if (!is_list || !rule.key.empty()) {
      for (const auto& f : fields) {
        if (!ruled.count(f.name)) {
          return reader_.Error(value, "field '" + f.name + "' has no merge rule; add it to " +
                                          "fields (e.g. " + f.name + ": sum)" +
                                          (is_list ? " or to key" : ""));
        }
      }
    }
    return rule;
  }

  //! `name` is a field of `fields` (numeric when `numeric`).
  Status CheckField(const YamlValue& where, const std::vector<PackField>& fields,
                    const std::string& name, bool numeric) const {
    const PackField* field = FindField(fields, name);
    if (!field) {
      return reader_.Error(where, "the result has no field '" + name + "'; " +
                                      config_internal::DidYouMean(name, FieldNames(fields)) +
                                      "fields: " + JoinNames(FieldNames(fields)));
    }
    if (numeric && !IsNumeric(field->type)) {
      return reader_.Error(where, "'" + name + "' is a " + std::string(FieldTypeName(field->type)) +
                                      " field; this rule needs an int or double field");
    }
    if (!numeric && (field->type == FieldType::kObject || field->type == FieldType::kList)) {
      return reader_.Error(where, "'" + name + "' is " + std::string(FieldTypeName(field->type)) +
                                      "; name a scalar field");
    }
    return Status::Ok();
  }

  //! A dotted path (`current.sessions`) to a numeric field from `fields`.
  Status CheckPath(const YamlValue& where, const std::vector<PackField>& fields,
                   const std::string& path) const {
    const std::vector<PackField>* level = &fields;
    size_t start = 0;
    while (true) {
      size_t dot = path.find('.', start);
      std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
      if (dot == std::string::npos) return CheckField(where, *level, part, true);
      const PackField* f = FindField(*level, part);
      if (!f || f->type != FieldType::kObject) {
        return reader_.Error(where, "'" + path + "': '" + part + "' is not an object field");
      }
      level = &f->fields;
      start = dot + 1;
    }
  }

  Result<MergeFieldRule> FieldMerge(const Field& item, const PackField& field,
                                    const MetricDef& metric, const std::vector<PackField>& fields,
                                    bool is_list) const {
    MergeFieldRule rule;
    rule.field = field.name;
    if (field.type == FieldType::kObject || field.type == FieldType::kList) {
      if (!item.value.node.IsMap()) {
        return reader_.Error(
            item.value,
            "'" + field.name + "' is " + std::string(FieldTypeName(field.type)) +
                ": write its merge as a mapping (" +
                (field.type == FieldType::kList ? "key, fields, order, limit" : "fields") + ")");
      }
      rule.kind = field.type == FieldType::kList ? MergeKind::kList : MergeKind::kObject;
      TRIB_ASSIGN_OR_RETURN(MergeRule nested, MergeOf(item.value, metric, field.fields,
                                                      field.type == FieldType::kList));
      rule.nested = std::make_shared<const MergeRule>(std::move(nested));
      return rule;
    }
    if (item.value.node.IsScalar()) {
      TRIB_ASSIGN_OR_RETURN(std::string word, Raw(item.value));
      auto known = std::find(kScalarMergeWords.begin(), kScalarMergeWords.end(), word);
      if (known == kScalarMergeWords.end()) {
        std::vector<std::string> all = kScalarMergeWords;
        all.insert(all.end(), kRefMergeWords.begin(), kRefMergeWords.end());
        return reader_.Error(item.value, "unknown merge rule '" + word + "'; " +
                                             config_internal::DidYouMean(word, all) +
                                             "rules: " + JoinNames(kScalarMergeWords) + ", or {" +
                                             JoinNames(kRefMergeWords) + ": <field>}");
      }
      for (MergeKind k : {MergeKind::kSum, MergeKind::kMin, MergeKind::kMax, MergeKind::kDistinct,
                          MergeKind::kAvg}) {
        if (MergeKindName(k) == word) rule.kind = k;
      }
      const bool ordered = rule.kind == MergeKind::kMin || rule.kind == MergeKind::kMax;
      if (!ordered && !IsNumeric(field.type)) {
        return reader_.Error(item.value, "'" + word + "' needs a numeric field; '" + field.name +
                                             "' is " + std::string(FieldTypeName(field.type)));
      }
      if (rule.kind == MergeKind::kDistinct && field.type != FieldType::kInt) {
        return reader_.Error(item.value, "distinct counts are int fields; '" + field.name +
                                             "' is " + std::string(FieldTypeName(field.type)));
      }
      return rule;
    }
    TRIB_ASSIGN_OR_RETURN(std::vector<Field> kv, reader_.Mapping(item.value));
    if (kv.size() != 1) {
      return reader_.Error(item.value, "write one rule, e.g. {mean: requests}");
    }
    const Field& r = kv.front();
    auto known = std::find(kRefMergeWords.begin(), kRefMergeWords.end(), r.key);
    if (known == kRefMergeWords.end()) {
      return reader_.UnknownKey(r, kRefMergeWords, "merge rules with a field");
    }
    for (MergeKind k : {MergeKind::kMean, MergeKind::kShare, MergeKind::kRate, MergeKind::kGrowth,
                        MergeKind::kPrevRate, MergeKind::kPrevDrop}) {
      if (MergeKindName(k) == r.key) rule.kind = k;
    }
    if (!IsNumeric(field.type)) {
      return reader_.Error(r.value, "'" + r.key + "' needs a numeric field; '" + field.name +
                                        "' is " + std::string(FieldTypeName(field.type)));
    }
    if ((rule.kind == MergeKind::kShare || rule.kind == MergeKind::kPrevRate ||
         rule.kind == MergeKind::kPrevDrop) &&
        !is_list) {
      return reader_.Error(r.value, "'" + r.key + "' compares rows: it applies in lists only");
    }
    if (rule.kind == MergeKind::kGrowth) {
      if (is_list) {
        return reader_.Error(r.value,
                             "growth compares fields of one object: it applies in objects only");
      }
      TRIB_ASSIGN_OR_RETURN(std::vector<YamlValue> paths, reader_.Sequence(r.value));
      if (paths.size() != 2) {
        return reader_.Error(r.value,
                             "growth takes [current, previous], e.g. "
                             "[current.sessions, previous.sessions]");
      }
      TRIB_ASSIGN_OR_RETURN(rule.ref, Raw(paths[0]));
      TRIB_ASSIGN_OR_RETURN(rule.ref2, Raw(paths[1]));
      TRIB_RETURN_IF_ERROR(CheckPath(paths[0], fields, rule.ref));
      TRIB_RETURN_IF_ERROR(CheckPath(paths[1], fields, rule.ref2));
      return rule;
    }
    TRIB_ASSIGN_OR_RETURN(rule.ref, Raw(r.value));
    TRIB_RETURN_IF_ERROR(CheckField(r.value, fields, rule.ref, true));
    if (rule.ref == field.name) {
      return reader_.Error(r.value, "'" + field.name + "' cannot derive from itself");
    }
    return rule;
  }

  //! Parses one SQL template and checks every name it uses exists for this metric.
  Result<SqlTemplate> Template(const YamlValue& value, const Pack& pack,
                               const MetricDef& metric) const {
    TRIB_ASSIGN_OR_RETURN(std::string text, Raw(value));
    Result<SqlTemplate> parsed = SqlTemplate::Parse(text);
    if (!parsed.ok()) return reader_.Error(value, parsed.status().message());
    std::vector<std::string> values = WindowValues(metric.window);
    std::map<std::string, std::set<std::string>> lists;  // loop -> item fields
    for (const auto& p : metric.params) {
      if (p.type == PackParam::Type::kList) {
        lists[p.name] = {""};
      } else {
        values.push_back(p.name);
      }
    }
    for (const auto& s : pack.settings) {
      if (s.is_list()) {
        std::set<std::string> keys;
        for (const auto& item : s.items) {
          for (const auto& [k, v] : item) keys.insert(k);
        }
        lists[s.name] = std::move(keys);
      } else {
        values.push_back(s.name);
      }
    }
    Status problem;
    VisitTemplate(parsed->nodes(), "", [&](const TemplateNode& node, std::string_view loop) {
      if (!problem.ok()) return;
      if (node.kind == TemplateNode::Kind::kParam &&
          std::find(values.begin(), values.end(), node.text) == values.end()) {
        problem =
            reader_.Error(value, "{{@" + node.text + "}} is not a value of metric '" + metric.name +
                                     "' (window " + std::string(WindowKindName(metric.window)) +
                                     "); available: " + JoinNames(values));
      } else if (node.kind == TemplateNode::Kind::kLoop && !lists.count(node.text)) {
        std::vector<std::string> names;
        for (const auto& [k, v] : lists) names.push_back(k);
        problem =
            reader_.Error(value, "{{#" + node.text + "}} is not a list of metric '" + metric.name +
                                     "'; lists: " + (names.empty() ? "none" : JoinNames(names)));
      } else if (node.kind == TemplateNode::Kind::kItem) {
        auto it = lists.find(std::string(loop));
        if (it != lists.end() && !it->second.count(node.text)) {
          problem = reader_.Error(value, "{{@item" + (node.text.empty() ? "" : "." + node.text) +
                                             "}}: items of '" + std::string(loop) +
                                             "' have no such field");
        }
      }
    });
    if (!problem.ok()) return problem;
    return std::move(parsed).value();
  }

  YamlReader reader_;
  const std::string& text_;
};

}  // namespace

Result<std::shared_ptr<const PackCatalog>> PackCatalog::Load(const std::vector<EmbeddedFile>& files,
                                                             const std::string& origin) {
  auto catalog = std::make_shared<PackCatalog>();
  // Declarations first, so that dialect files can be checked against them.
  std::vector<const EmbeddedFile*> dialect_files;
  for (const auto& file : files) {
    std::filesystem::path rel(file.path);
    std::string folder = rel.parent_path().string();
    std::string stem = rel.stem().string();
    std::string name = origin + "/" + file.path;
    if (folder.empty() || folder.find('/') != std::string::npos || rel.extension() != ".yaml") {
      return ConfigError(name + ": pack files are <pack>/pack.yaml and <pack>/<dialect>.yaml");
    }
    if (stem != "pack") {
      dialect_files.push_back(&file);
      continue;
    }
    std::string text(file.content);
    PackLoader loader(name, text);
    TRIB_ASSIGN_OR_RETURN(Pack pack, loader.LoadPack(folder));
    catalog->packs_.push_back(std::move(pack));
  }
  for (const EmbeddedFile* file : dialect_files) {
    std::filesystem::path rel(file->path);
    std::string folder = rel.parent_path().string();
    std::string name = origin + "/" + file->path;
    Pack* pack = nullptr;
    for (auto& p : catalog->packs_) {
      if (p.name == folder) pack = &p;
    }
    if (!pack) {
      return ConfigError(name + ": there is no " + folder + "/pack.yaml declaring this pack");
    }
    std::string text(file->content);
    PackLoader loader(name, text);
    TRIB_RETURN_IF_ERROR(loader.LoadDialect(*pack, rel.stem().string()));
  }
  std::sort(catalog->packs_.begin(), catalog->packs_.end(),
            [](const Pack& a, const Pack& b) { return a.name < b.name; });
  return std::shared_ptr<const PackCatalog>(std::move(catalog));
}

Result<std::shared_ptr<const PackCatalog>> PackCatalog::LoadEmbedded() {
  return Load(EmbeddedPackFiles(), "packs");
}

Result<std::shared_ptr<const PackCatalog>> PackCatalog::LoadDirectory(const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return ConfigError("packs directory '" + dir + "' does not exist or is not a directory");
  }
  std::vector<std::string> paths;
  for (const auto& pack_dir : std::filesystem::directory_iterator(dir, error)) {
    if (!pack_dir.is_directory()) continue;
    for (const auto& entry : std::filesystem::directory_iterator(pack_dir.path(), error)) {
      if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
        paths.push_back(pack_dir.path().filename().string() + "/" +
                        entry.path().filename().string());
      }
    }
  }
  if (error) return ConfigError("cannot list packs directory '" + dir + "': " + error.message());
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> contents;
  contents.reserve(paths.size());
  for (const auto& p : paths) {
    std::ifstream in(std::filesystem::path(dir) / p, std::ios::binary);
    if (!in) return ConfigError("cannot read pack file '" + dir + "/" + p + "'");
    std::ostringstream text;
    text << in.rdbuf();
    contents.push_back(text.str());
  }
  std::vector<EmbeddedFile> files;
  for (size_t i = 0; i < paths.size(); ++i) files.push_back({paths[i], contents[i]});
  return Load(files, dir);
}

}  // namespace tributary
