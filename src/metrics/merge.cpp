#include "metrics/merge.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "core/json_out.h"
#include "core/json_value.h"
#include "core/time_util.h"

namespace tributary {

namespace {

namespace json = boost::json;

using Rows = std::vector<const json::object*>;

const PackField* FindDeclared(const std::vector<PackField>& fields, std::string_view name) {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string JoinPath(const std::string& prefix, const std::string& name) {
  if (prefix.empty()) return name;
  std::string path = prefix;
  path += '.';
  path += name;
  return path;
}

double AsDouble(const json::value* v) {
  if (!v) return 0;
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_double()) return v->get_double();
  if (v->is_bool()) return v->get_bool() ? 1 : 0;
  return 0;
}

int64_t AsInt(const json::value* v) {
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<int64_t>(std::llround(v->get_double()));
  if (v->is_bool()) return v->get_bool() ? 1 : 0;
  return 0;
}

json::value Number(const PackField& field, double v) {
  if (field.type == FieldType::kInt) return json::value(static_cast<int64_t>(std::llround(v)));
  return json::value(v);
}

//! -1, 0, 1 comparing two values of `field` in the order the engines sort them: numbers by
//! value, timestamps by instant (their text omits a zero fraction, so it does not sort), other
//! text by bytes; null first.
int Compare(const PackField& field, const json::value& a, const json::value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null() ? 0 : (a.is_null() ? -1 : 1);
  if (a.is_number() && b.is_number()) {
    double x = AsDouble(&a);
    double y = AsDouble(&b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_bool() && b.is_bool()) return static_cast<int>(a.get_bool()) - b.get_bool();
  if (a.is_string() && b.is_string()) {
    std::string_view x = a.get_string();
    std::string_view y = b.get_string();
    if (field.type == FieldType::kTimestamp) {
      std::optional<int64_t> tx = ParseTimestamp(x);
      std::optional<int64_t> ty = ParseTimestamp(y);
      if (tx && ty) return *tx < *ty ? -1 : (*tx > *ty ? 1 : 0);
    }
    int c = x.compare(y);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return 0;
}

class Merger {
 public:
  explicit Merger(const ResolvedParams& params) : params_(params) {}

  Result<json::object> Object(const MergeRule& rule, const std::vector<PackField>& fields,
                              const Rows& parts, const std::string& prefix) {
    json::object out;
    for (const auto& r : rule.fields) {
      const PackField& field = *FindDeclared(fields, r.field);
      const std::string path = JoinPath(prefix, r.field);
      if (r.kind == MergeKind::kObject) {
        Rows nested;
        for (const json::object* part : parts) {
          const json::value* v = part->if_contains(r.field);
          if (!v || !v->is_object()) return Shape(path, "an object");
          nested.push_back(&v->get_object());
        }
        TRIB_ASSIGN_OR_RETURN(out[r.field], Object(*r.nested, field.fields, nested, path));
      } else if (r.kind == MergeKind::kList) {
        std::vector<const json::array*> nested;
        for (const json::object* part : parts) {
          const json::value* v = part->if_contains(r.field);
          if (!v || !v->is_array()) return Shape(path, "a list");
          nested.push_back(&v->get_array());
        }
        TRIB_ASSIGN_OR_RETURN(out[r.field], List(*r.nested, field.fields, nested, path));
      } else if (r.kind != MergeKind::kGrowth) {
        out[r.field] = Combine(r, field, parts, prefix);
      }
    }
    // Growth reads merged values, so it comes last.
    for (const auto& r : rule.fields) {
      if (r.kind != MergeKind::kGrowth) continue;
      double current = AsDouble(Lookup(out, r.ref));
      double previous = AsDouble(Lookup(out, r.ref2));
      out[r.field] = Number(*FindDeclared(fields, r.field),
                            previous == 0 ? 0.0 : 100.0 * (current - previous) / previous);
      if (IsFlagged(JoinPath(prefix, r.ref)) || IsFlagged(JoinPath(prefix, r.ref2))) {
        Flag(JoinPath(prefix, r.field));
      }
    }
    return out;
  }

  Result<json::array> List(const MergeRule& rule, const std::vector<PackField>& fields,
                           const std::vector<const json::array*>& parts,
                           const std::string& prefix) {
    std::vector<json::object> rows;
    if (rule.key.empty()) {
      for (const json::array* part : parts) {
        for (const auto& row : *part) {
          if (!row.is_object()) return Shape(prefix, "a list of objects");
          rows.push_back(row.get_object());
        }
      }
    } else {
      // Rows grouped by their key, in the order keys are first seen.
      std::unordered_map<std::string, size_t> index;
      std::vector<Rows> groups;
      for (const json::array* part : parts) {
        for (const auto& row : *part) {
          if (!row.is_object()) return Shape(prefix, "a list of objects");
          const json::object& object = row.get_object();
          std::string key;
          for (const auto& k : rule.key) {
            const json::value* v = object.if_contains(k);
            key += v ? json::serialize(*v) : "null";
            key += '\x1f';
          }
          auto [it, added] = index.emplace(std::move(key), groups.size());
          if (added) groups.emplace_back();
          groups[it->second].push_back(&object);
        }
      }
      for (const Rows& group : groups) {
        json::object merged;
        for (const auto& k : rule.key) {
          const json::value* v = group.front()->if_contains(k);
          merged[k] = v ? *v : json::value(nullptr);
        }
        for (const auto& r : rule.fields) {
          if (r.kind == MergeKind::kShare || r.kind == MergeKind::kPrevRate ||
              r.kind == MergeKind::kPrevDrop) {
            continue;
          }
          merged[r.field] = Combine(r, *FindDeclared(fields, r.field), group, prefix);
        }
        rows.push_back(std::move(merged));
      }
      // Shares of the merged total.
      for (const auto& r : rule.fields) {
        if (r.kind != MergeKind::kShare) continue;
        double total = 0;
        for (const auto& row : rows) total += AsDouble(row.if_contains(r.ref));
        const PackField& field = *FindDeclared(fields, r.field);
        for (auto& row : rows) {
          row[r.field] =
              Number(field, total == 0 ? 0.0 : 100.0 * AsDouble(row.if_contains(r.ref)) / total);
        }
        if (IsFlagged(JoinPath(prefix, r.ref))) Flag(JoinPath(prefix, r.field));
      }
    }
    if (!rule.order.empty()) {
      std::vector<const PackField*> order_fields;
      for (const auto& o : rule.order) order_fields.push_back(FindDeclared(fields, o.field));
      std::stable_sort(rows.begin(), rows.end(), [&](const json::object& a, const json::object& b) {
        for (size_t i = 0; i < rule.order.size(); ++i) {
          const json::value* x = a.if_contains(rule.order[i].field);
          const json::value* y = b.if_contains(rule.order[i].field);
          static const json::value null_value;
          int c = Compare(*order_fields[i], x ? *x : null_value, y ? *y : null_value);
          if (c != 0) return rule.order[i].descending ? c > 0 : c < 0;
        }
        return false;
      });
    }
    const int64_t offset = rule.offset_param.empty() ? 0 : ParamInt(rule.offset_param, 0);
    std::optional<int64_t> limit = rule.limit;
    if (!rule.limit_param.empty()) limit = ParamInt(rule.limit_param, INT64_MAX);
    if (rule.limit && parts.size() > 1) {
      // Each source answered at most its own top `limit`: a row ranked below that in every
      // source but above it once summed would be missing.
      for (const json::array* part : parts) {
        if (static_cast<int64_t>(part->size()) >= *rule.limit) {
          Flag(JoinPath(prefix,
                        rule.order.empty() ? rule.fields.front().field : rule.order.front().field));
          break;
        }
      }
    }
    json::array out;
    for (size_t i = static_cast<size_t>(std::max<int64_t>(0, offset)); i < rows.size(); ++i) {
      if (limit && static_cast<int64_t>(out.size()) >= *limit) break;
      out.push_back(std::move(rows[i]));
    }
    // Step rates over the merged rows, in their final order.
    for (const auto& r : rule.fields) {
      if (r.kind != MergeKind::kPrevRate && r.kind != MergeKind::kPrevDrop) continue;
      const PackField& field = *FindDeclared(fields, r.field);
      double previous = 0;
      for (size_t i = 0; i < out.size(); ++i) {
        json::object& row = out[i].get_object();
        double current = AsDouble(row.if_contains(r.ref));
        if (r.kind == MergeKind::kPrevRate) {
          row[r.field] =
              Number(field, i == 0 ? 100.0 : (previous == 0 ? 0.0 : 100.0 * current / previous));
        } else {
          row[r.field] = Number(field, i == 0 ? 0.0 : previous - current);
        }
        previous = current;
      }
      if (IsFlagged(JoinPath(prefix, r.ref))) Flag(JoinPath(prefix, r.field));
    }
    return out;
  }

  std::vector<std::string> TakeApproximate() { return std::move(approximate_); }

 private:
  //! One scalar field over the rows that combine (one per source that has the key).
  json::value Combine(const MergeFieldRule& r, const PackField& field, const Rows& rows,
                      const std::string& prefix) {
    if (rows.size() == 1) {
      // One source holds it: its value is the answer, whatever the rule.
      const json::value* v = rows.front()->if_contains(r.field);
      return v ? *v : json::value(nullptr);
    }
    const std::string path = JoinPath(prefix, r.field);
    switch (r.kind) {
      case MergeKind::kSum:
      case MergeKind::kDistinct: {
        if (r.kind == MergeKind::kDistinct) Flag(path);
        if (field.type == FieldType::kInt) {
          int64_t sum = 0;
          for (const auto* row : rows) sum += AsInt(row->if_contains(r.field));
          return json::value(sum);
        }
        double sum = 0;
        for (const auto* row : rows) sum += AsDouble(row->if_contains(r.field));
        return json::value(sum);
      }
      case MergeKind::kMin:
      case MergeKind::kMax: {
        const json::value* best = nullptr;
        for (const auto* row : rows) {
          const json::value* v = row->if_contains(r.field);
          if (!v || v->is_null()) continue;
          int c = best ? Compare(field, *v, *best) : 0;
          if (!best || (r.kind == MergeKind::kMin ? c < 0 : c > 0)) best = v;
        }
        return best ? *best : json::value(nullptr);
      }
      case MergeKind::kAvg: {
        Flag(path);
        double sum = 0;
        for (const auto* row : rows) sum += AsDouble(row->if_contains(r.field));
        return Number(field, sum / static_cast<double>(rows.size()));
      }
      case MergeKind::kMean: {
        double weighted = 0;
        double weight = 0;
        for (const auto* row : rows) {
          double w = AsDouble(row->if_contains(r.ref));
          weighted += w * AsDouble(row->if_contains(r.field));
          weight += w;
        }
        return Number(field, weight == 0 ? 0.0 : weighted / weight);
      }
      case MergeKind::kRate: {
        // value = 100 * ref / denominator, so each part's denominator is 100 * ref / value.
        // A part whose ref is 0 does not tell its denominator: then the rate is approximate.
        double numerator = 0;
        double denominator = 0;
        for (const auto* row : rows) {
          double n = AsDouble(row->if_contains(r.ref));
          double v = AsDouble(row->if_contains(r.field));
          numerator += n;
          if (v != 0) {
            denominator += 100.0 * n / v;
          } else {
            Flag(path);
          }
        }
        return Number(field, denominator == 0 ? 0.0 : 100.0 * numerator / denominator);
      }
      case MergeKind::kShare:
      case MergeKind::kGrowth:
      case MergeKind::kPrevRate:
      case MergeKind::kPrevDrop:
      case MergeKind::kObject:
      case MergeKind::kList:
        break;
    }
    return json::value(nullptr);
  }

  static const json::value* Lookup(const json::object& object, const std::string& path) {
    const json::object* level = &object;
    size_t start = 0;
    while (true) {
      size_t dot = path.find('.', start);
      const json::value* v =
          level->if_contains(path.substr(start, dot == std::string::npos ? dot : dot - start));
      if (!v || dot == std::string::npos) return v;
      if (!v->is_object()) return nullptr;
      level = &v->get_object();
      start = dot + 1;
    }
  }

  int64_t ParamInt(const std::string& name, int64_t fallback) const {
    auto it = params_.values.find(name);
    if (it == params_.values.end() || it->second.is_null()) return fallback;
    return it->second.as_int();
  }

  void Flag(const std::string& path) {
    if (std::find(approximate_.begin(), approximate_.end(), path) == approximate_.end()) {
      approximate_.push_back(path);
    }
  }
  bool IsFlagged(const std::string& path) const {
    return std::find(approximate_.begin(), approximate_.end(), path) != approximate_.end();
  }

  static Status Shape(const std::string& path, std::string_view want) {
    return Internal("merging source answers: '" + (path.empty() ? "data" : path) + "' is not " +
                    std::string(want) + " as the pack declares; fix the pack's SQL");
  }

  const ResolvedParams& params_;
  std::vector<std::string> approximate_;
};

void WriteFields(JsonOut& out, const std::vector<PackField>& fields, const json::object& object);

//! `v` written as `field` declares it: ints as integers, doubles as decimals, in field order.
void WriteTyped(JsonOut& out, const PackField& field, const json::value* v) {
  if (!v || v->is_null()) {
    out.Null();
    return;
  }
  switch (field.type) {
    case FieldType::kInt:
      if (v->is_number()) {
        out.Int(AsInt(v));
        return;
      }
      break;
    case FieldType::kDouble:
      if (v->is_number()) {
        out.Double(AsDouble(v));
        return;
      }
      break;
    case FieldType::kObject:
      if (v->is_object()) {
        WriteFields(out, field.fields, v->get_object());
        return;
      }
      break;
    case FieldType::kList:
      if (v->is_array()) {
        out.StartArray();
        for (const auto& row : v->get_array()) {
          if (row.is_object()) {
            WriteFields(out, field.fields, row.get_object());
          } else {
            WriteJsonValue(out, row);
          }
        }
        out.EndArray();
        return;
      }
      break;
    default:
      break;
  }
  WriteJsonValue(out, *v);
}

void WriteFields(JsonOut& out, const std::vector<PackField>& fields, const json::object& object) {
  out.StartObject();
  for (const auto& f : fields) {
    out.Key(f.name);
    WriteTyped(out, f, object.if_contains(f.name));
  }
  out.EndObject();
}

}  // namespace

Result<MergedData> MergeMetricData(const MetricDef& metric, const std::vector<std::string>& parts,
                                   const ResolvedParams& params) {
  std::vector<json::value> parsed;
  parsed.reserve(parts.size());
  for (const auto& text : parts) {
    boost::system::error_code error;
    json::value v = ParseJson(text, error);
    if (error) {
      return Internal("merging source answers of metric '" + metric.name +
                      "': a source's data is not JSON (" + error.message() + ")");
    }
    parsed.push_back(std::move(v));
  }
  Merger merger(params);
  JsonOut out;
  if (metric.object_shape) {
    Rows objects;
    for (const auto& v : parsed) {
      if (!v.is_object()) {
        return Internal("merging source answers of metric '" + metric.name +
                        "': a source's data is not an object");
      }
      objects.push_back(&v.get_object());
    }
    TRIB_ASSIGN_OR_RETURN(json::object merged,
                          merger.Object(metric.merge, metric.fields, objects, ""));
    WriteFields(out, metric.fields, merged);
  } else {
    std::vector<const json::array*> lists;
    for (const auto& v : parsed) {
      if (!v.is_array()) {
        return Internal("merging source answers of metric '" + metric.name +
                        "': a source's data is not a list");
      }
      lists.push_back(&v.get_array());
    }
    TRIB_ASSIGN_OR_RETURN(json::array merged, merger.List(metric.merge, metric.fields, lists, ""));
    out.StartArray();
    for (const auto& row : merged) WriteFields(out, metric.fields, row.get_object());
    out.EndArray();
  }
  MergedData data;
  data.json = out.Take();
  data.approximate = merger.TakeApproximate();
  return data;
}

ResolvedParams PerSourceParams(const MetricDef& metric, const ResolvedParams& params) {
  ResolvedParams out = params;
  const MergeRule& rule = metric.merge;
  if (rule.offset_param.empty()) return out;
  auto offset = out.values.find(rule.offset_param);
  auto limit = out.values.find(rule.limit_param);
  if (offset == out.values.end() || limit == out.values.end() || offset->second.is_null() ||
      limit->second.is_null()) {
    return out;
  }
  limit->second = Value::Int64(limit->second.as_int() + offset->second.as_int());
  offset->second = Value::Int64(0);
  return out;
}

}  // namespace tributary
