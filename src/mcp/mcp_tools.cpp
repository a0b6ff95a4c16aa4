#include "mcp/mcp_tools.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <functional>

#include "core/encoding.h"
#include "core/json_out.h"
#include "core/json_value.h"
#include "server/api_types.h"
#include "server/auth.h"
#include "server/router.h"

namespace tributary {

namespace json = boost::json;

namespace {

constexpr std::string_view kSchemaUriPrefix = "tributary://sources/";
constexpr std::string_view kSchemaUriSuffix = "/schema";
//! describe_source describes at most this many tables (unless one is asked for).
constexpr size_t kMaxDescribedTables = 50;

bool HasType(const json::value& v, std::string_view type) {
  if (type == "null") return v.is_null();
  if (type == "boolean") return v.is_bool();
  if (type == "string") return v.is_string();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_int64() || v.is_uint64()) return true;
    if (v.is_double()) {
      double d = v.get_double();
      return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15;
    }
  }
  return false;
}

std::string Article(std::string_view type) {
  if (type == "integer" || type == "array" || type == "object") return "an " + std::string(type);
  if (type == "null") return "null";
  return "a " + std::string(type);
}

double AsDouble(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

std::string Name(const std::string& path) {
  return "argument '" + path + "'";
}

// ---- Route calls ----

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

struct RouteAnswer {
  ApiResponse response;
  //! Who the access check found (null key when auth is off).
  Caller caller;
};

//! Runs `method path?query` with `body` as the REST API would for this caller.
RouteAnswer CallRoute(const Router& router, const McpCallContext& ctx, const CancelToken& cancel,
                      std::string_view method, std::string path, std::string query = {},
                      std::string body = {}) {
  RouteAnswer answer;
  ApiRequest req;
  req.method = std::string(method);
  req.path = std::move(path);
  req.query = std::move(query);
  req.body = std::move(body);
  req.accept = "application/json";
  if (!ctx.authorization.empty()) req.headers["authorization"] = ctx.authorization;
  req.headers["accept"] = "application/json";
  if (!req.body.empty()) req.headers["content-type"] = "application/json";
  req.client_address = ctx.client_address;
  req.request_id = ctx.request_id;
  req.runtime = ctx.runtime;
  req.cancel = cancel;
  RouteMatch match = router.Match(req.method, req.path);
  if (match.kind != RouteMatch::Kind::kFound) {
    answer.response = ErrorResponse(404, "NOT_FOUND",
                                    "no route for " + req.method + " " + req.path +
                                        " on this server (is it "
                                        "a build without that feature?)",
                                    req.request_id);
    return answer;
  }
  req.path_params = std::move(match.params);
  Admission admission = AdmitRequest(*match.route, req, /*limiter=*/nullptr);
  answer.caller = req.caller;
  if (admission.denial) {
    answer.response = std::move(*admission.denial);
    return answer;
  }
  try {
    answer.response = match.route->handler(req);
  } catch (const std::exception& e) {
    spdlog::error("request {}: MCP call of {} {} failed: {}", req.request_id, req.method, req.path,
                  e.what());
    answer.response = ErrorResponse(
        500, "INTERNAL", "internal error; the server log has the details", req.request_id);
  }
  return answer;
}

McpToolResult ToolError(std::string code, std::string message) {
  McpToolResult r;
  r.is_error = true;
  r.error_code = std::move(code);
  r.error_message = std::move(message);
  return r;
}

//! The REST error body's {code, message} as a tool error.
McpToolResult ErrorOf(const ApiResponse& r) {
  boost::system::error_code ec;
  json::value body = ParseJson(r.body, ec);
  if (!ec && body.is_object()) {
    if (const json::value* err = body.get_object().if_contains("error"); err && err->is_object()) {
      const json::object& e = err->get_object();
      const json::value* code = e.if_contains("code");
      const json::value* message = e.if_contains("message");
      if (code && code->is_string()) {
        return ToolError(std::string(code->get_string()), message && message->is_string()
                                                              ? std::string(message->get_string())
                                                              : std::string());
      }
    }
  }
  return ToolError(r.error_code.empty() ? "INTERNAL" : r.error_code,
                   "the route answered HTTP " + std::to_string(r.status));
}

bool IsSuccess(const ApiResponse& r) {
  return r.status >= 200 && r.status < 300;
}

//! The JSON object of a successful answer, or the tool error.
std::optional<json::object> ObjectOf(const ApiResponse& r, McpToolResult* error) {
  if (!IsSuccess(r)) {
    *error = ErrorOf(r);
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value body = ParseJson(r.body, ec);
  if (ec || !body.is_object()) {
    *error = ToolError("INTERNAL", "the route's answer is not a JSON object");
    return std::nullopt;
  }
  return std::move(body.get_object());
}

McpToolResult Success(const json::object& obj) {
  McpToolResult r;
  r.structured = McpJson(obj);
  return r;
}

//! Drops elements from the end of `obj[key]` (an array) until `obj` serializes to at most
//! `max_bytes`; sets obj["truncated"] (true when anything was dropped, else left as it is).
void FitArray(json::object& obj, std::string_view key, int64_t max_bytes) {
  const size_t limit = static_cast<size_t>(std::max<int64_t>(max_bytes, 0));
  if (McpJson(obj).size() <= limit) return;
  if (const json::value* field = obj.if_contains(key); !field || !field->is_array()) return;
  obj["truncated"] = true;
  json::array& arr = obj.at(key).as_array();
  size_t total = McpJson(obj).size();
  if (total <= limit) return;
  size_t excess = total - limit;
  size_t removed = 0;
  size_t keep = arr.size();
  while (keep > 0 && removed < excess) {
    removed += McpJson(arr[keep - 1]).size() + 1;
    --keep;
  }
  arr.resize(keep);
  while (!arr.empty() && McpJson(obj).size() > limit) arr.pop_back();
}

const McpConfig& Mcp(const McpCallContext& ctx) {
  return ctx.runtime->config().mcp;
}

std::string StringArg(const json::object& args, std::string_view name) {
  const json::value* v = args.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

//! The text of a get_metric parameter value in the query string.
std::string ParamText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v.get_array()) {
      if (!out.empty()) out.push_back(',');
      out.append(ParamText(e));
    }
    return out;
  }
  if (v.is_null()) return "";
  return McpJson(v);
}

//! The answer when the caller may not see `project` (the REST API's words: the same whether
//! the project exists or not).
std::optional<McpToolResult> CheckProject(const Config& config, const Caller& caller,
                                          const std::string& project) {
  if (caller.key && !caller.key->HasProject(project)) {
    return ToolError("PERMISSION_DENIED", "API key '" + caller.key->name +
                                              "' may not access the project this request names");
  }
  if (!config.FindProject(project)) {
    return ToolError("NOT_FOUND", "project '" + project +
                                      "' is not configured; list_sources without a project "
                                      "lists what you may use");
  }
  return std::nullopt;
}

}  // namespace

std::string McpJson(const json::value& value) {
  JsonOut out;
  WriteJsonValue(out, value);
  return out.Take();
}

std::string McpJson(const json::object& object) {
  JsonOut out;
  out.StartObject();
  for (const auto& [k, e] : object) {
    out.Key(std::string_view(k));
    WriteJsonValue(out, e);
  }
  out.EndObject();
  return out.Take();
}

std::optional<std::string> ValidateAgainstSchema(const json::value& schema,
                                                 const json::value& value,
                                                 const std::string& path) {
  if (!schema.is_object()) return std::nullopt;
  const json::object& s = schema.get_object();
  if (const json::value* type = s.if_contains("type")) {
    std::vector<std::string> types;
    if (type->is_string()) {
      types.emplace_back(type->get_string());
    } else if (type->is_array()) {
      for (const auto& t : type->get_array()) {
        if (t.is_string()) types.emplace_back(t.get_string());
      }
    }
    bool ok = std::any_of(types.begin(), types.end(),
                          [&](const std::string& t) { return HasType(value, t); });
    if (!ok) {
      std::string expected;
      for (size_t i = 0; i < types.size(); ++i) {
        if (i) expected += i + 1 == types.size() ? " or " : ", ";
        expected += Article(types[i]);
      }
      return Name(path) + " must be " + expected + ", got " + JsonKindName(value);
    }
  }
  if (const json::value* allowed = s.if_contains("enum"); allowed && allowed->is_array()) {
    const json::array& list = allowed->get_array();
    if (std::find(list.begin(), list.end(), value) == list.end()) {
      std::string names;
      for (const auto& e : list) names += (names.empty() ? "" : ", ") + McpJson(e);
      return Name(path) + " must be one of " + names;
    }
  }
  if (value.is_number()) {
    if (const json::value* min = s.if_contains("minimum"); min && min->is_number()) {
      if (AsDouble(value) < AsDouble(*min)) {
        return Name(path) + " must be at least " + McpJson(*min);
      }
    }
    if (const json::value* max = s.if_contains("maximum"); max && max->is_number()) {
      if (AsDouble(value) > AsDouble(*max)) {
        return Name(path) + " must be at most " + McpJson(*max);
      }
    }
  }
  if (value.is_array()) {
    if (const json::value* items = s.if_contains("items")) {
      const json::array& arr = value.get_array();
      for (size_t i = 0; i < arr.size(); ++i) {
        if (auto e = ValidateAgainstSchema(*items, arr[i], path + "[" + std::to_string(i) + "]")) {
          return e;
        }
      }
    }
  }
  if (value.is_object()) {
    const json::object& obj = value.get_object();
    const json::object* props = nullptr;
    if (const json::value* p = s.if_contains("properties"); p && p->is_object()) {
      props = &p->get_object();
    }
    if (const json::value* req = s.if_contains("required"); req && req->is_array()) {
      for (const auto& name : req->get_array()) {
        if (name.is_string() && !obj.contains(name.get_string())) {
          std::string full = path.empty() ? std::string(name.get_string())
                                          : path + "." + std::string(name.get_string());
          return Name(full) + " is required";
        }
      }
    }
    const json::value* additional = s.if_contains("additionalProperties");
    for (const auto& [key, v] : obj) {
      std::string full = path.empty() ? std::string(key) : path + "." + std::string(key);
      const json::value* sub = props ? props->if_contains(key) : nullptr;
      if (sub) {
        if (auto e = ValidateAgainstSchema(*sub, v, full)) return e;
        continue;
      }
      if (additional && additional->is_bool() && !additional->get_bool()) {
        std::string allowed;
        if (props) {
          for (const auto& [name, unused] : *props) {
            allowed += (allowed.empty() ? "" : ", ") + std::string(name);
          }
        }
        return "unknown " + Name(full) +
               (allowed.empty() ? std::string("; this takes no arguments")
                                : "; allowed: " + allowed);
      }
      if (additional && additional->is_object()) {
        if (auto e = ValidateAgainstSchema(*additional, v, full)) return e;
      }
    }
  }
  return std::nullopt;
}

// ---- The tools ----

struct McpTools::Tool {
  std::string name;
  std::string title;
  std::string description;
  json::value input_schema;
  json::value output_schema;
  //! The tool only reads (annotations.readOnlyHint).
  bool read_only = true;
  std::function<McpToolResult(const McpTools&, const json::object&, const McpCallContext&,
                              const CancelToken&)>
      run;
};

namespace {

constexpr std::string_view kProjectProp =
    R"j("project":{"type":"string","description":"Project id; default: the server's default project"})j";

json::value Schema(std::string_view text) {
  return ParseJson(text);
}

//! The describe_source object of `source` (one table or up to 50), or the tool error.
McpToolResult DescribeSource(const Router& router, const McpCallContext& ctx,
                             const CancelToken& cancel, const std::string& source,
                             const std::string& table) {
  const std::string base = "/api/v1/sources/" + PercentEncode(source) + "/tables";
  json::array tables;
  bool truncated = false;
  auto describe = [&](const std::string& name,
                      json::object* entry) -> std::optional<McpToolResult> {
    RouteAnswer a = CallRoute(router, ctx, cancel, "GET", base + "/" + PercentEncode(name));
    McpToolResult error;
    std::optional<json::object> obj = ObjectOf(a.response, &error);
    if (!obj) return error;
    if (const json::value* t = obj->if_contains("table"); t && t->is_object()) {
      for (const auto& [k, v] : t->get_object()) (*entry)[k] = v;
    }
    const json::value* columns = obj->if_contains("columns");
    (*entry)["columns"] = columns ? *columns : json::array();
    return std::nullopt;
  };
  if (!table.empty()) {
    json::object entry;
    if (auto error = describe(table, &entry)) return *error;
    tables.push_back(std::move(entry));
  } else {
    RouteAnswer a = CallRoute(router, ctx, cancel, "GET", base);
    McpToolResult error;
    std::optional<json::object> list = ObjectOf(a.response, &error);
    if (!list) return error;
    const json::value* listed = list->if_contains("tables");
    if (listed && listed->is_array()) {
      const json::array& arr = listed->get_array();
      truncated = arr.size() > kMaxDescribedTables;
      for (size_t i = 0; i < arr.size() && i < kMaxDescribedTables; ++i) {
        if (!arr[i].is_object()) continue;
        const json::object& t = arr[i].get_object();
        std::string schema = StringArg(t, "schema");
        std::string name = StringArg(t, "name");
        // The connector's own name for the table: qualified when it has a schema.
        std::string qualified = schema.empty() ? name : schema + "." + name;
        json::object entry = t;
        if (auto failure = describe(qualified, &entry)) {
          if (cancel.cancelled()) return *failure;
          entry["columns"] = json::array();
          entry["error"] = {{"code", failure->error_code}, {"message", failure->error_message}};
        }
        tables.push_back(std::move(entry));
      }
    }
  }
  json::object out;
  out["source"] = source;
  out["tables"] = std::move(tables);
  out["truncated"] = truncated;
  FitArray(out, "tables", Mcp(ctx).max_result_bytes);
  return Success(out);
}

McpToolResult RunListSources(const McpTools&, const Router& router, const json::object& args,
                             const McpCallContext& ctx, const CancelToken& cancel) {
  RouteAnswer a = CallRoute(router, ctx, cancel, "GET", "/api/v1/sources");
  McpToolResult error;
  std::optional<json::object> obj = ObjectOf(a.response, &error);
  if (!obj) return error;
  std::string project = StringArg(args, "project");
  if (project.empty()) project = ctx.default_project;
  const Config& config = ctx.runtime->config();
  const ProjectConfig* p = nullptr;
  if (!project.empty()) {
    if (auto denied = CheckProject(config, a.caller, project)) return *denied;
    p = config.FindProject(project);
  }
  json::array sources;
  if (const json::value* listed = obj->if_contains("sources"); listed && listed->is_array()) {
    for (const auto& s : listed->get_array()) {
      if (!s.is_object()) continue;
      const std::string id = StringArg(s.get_object(), "id");
      if (p && std::find(p->sources.begin(), p->sources.end(), id) == p->sources.end()) continue;
      json::object entry;
      for (const char* key : {"id", "type", "status", "capabilities", "error", "latencyMs"}) {
        if (const json::value* v = s.get_object().if_contains(key)) entry[key] = *v;
      }
      if (entry.contains("error") && entry["error"].is_null()) entry.erase("error");
      sources.push_back(std::move(entry));
    }
  }
  json::object out;
  out["sources"] = std::move(sources);
  return Success(out);
}

McpToolResult RunDescribeSource(const McpTools&, const Router& router, const json::object& args,
                                const McpCallContext& ctx, const CancelToken& cancel) {
  const std::string source = StringArg(args, "source");
  const std::string project = StringArg(args, "project");
  if (!project.empty()) {
    // Check the caller first (through a route), so that the answer names no project it may
    // not see.
    RouteAnswer a = CallRoute(router, ctx, cancel, "GET", "/api/v1/sources");
    if (!IsSuccess(a.response)) return ErrorOf(a.response);
    const Config& config = ctx.runtime->config();
    if (auto denied = CheckProject(config, a.caller, project)) return *denied;
    const ProjectConfig* p = config.FindProject(project);
    if (std::find(p->sources.begin(), p->sources.end(), source) == p->sources.end()) {
      return ToolError("INVALID_ARGUMENT", "project '" + project + "' does not use source '" +
                                               source +
                                               "'; list_sources with that project "
                                               "lists its sources");
    }
  }
  return DescribeSource(router, ctx, cancel, source, StringArg(args, "table"));
}

McpToolResult RunRunQuery(const McpTools&, const Router& router, const json::object& args,
                          const McpCallContext& ctx, const CancelToken& cancel) {
  json::object body;
  body["sql"] = args.at("sql");
  if (const json::value* v = args.if_contains("source")) body["source"] = *v;
  std::string project = StringArg(args, "project");
  if (project.empty()) project = ctx.default_project;
  // Neither project nor source: the default project's (its only source, as the route picks).
  // A named source is left to the route, which finds a project of the caller that uses it.
  if (project.empty() && !args.contains("source")) {
    project = ctx.runtime->config().default_project;
  }
  if (!project.empty()) body["project"] = project;
  if (const json::value* v = args.if_contains("params")) body["params"] = *v;
  if (const json::value* v = args.if_contains("options")) body["options"] = *v;
  if (const json::value* v = args.if_contains("limit")) {
    body["limit"] = *v;
  } else {
    body["limit"] = Mcp(ctx).default_row_limit;
  }
  if (const json::value* v = args.if_contains("timeout_ms")) body["timeoutMs"] = *v;
  RouteAnswer a = CallRoute(router, ctx, cancel, "POST", "/api/v1/query", {}, McpJson(body));
  McpToolResult error;
  std::optional<json::object> obj = ObjectOf(a.response, &error);
  if (!obj) return error;
  json::object out;
  out["columns"] = obj->contains("columns") ? obj->at("columns") : json::value(json::array());
  out["rows"] = obj->contains("rows") ? obj->at("rows") : json::value(json::array());
  json::object stats;
  if (const json::value* s = obj->if_contains("stats"); s && s->is_object())
    stats = s->get_object();
  bool truncated = false;
  if (const json::value* t = stats.if_contains("truncated"); t && t->is_bool()) {
    truncated = t->get_bool();
  }
  out["rowCount"] = 0;
  out["truncated"] = truncated;
  out["stats"] = stats;
  json::array warnings;
  if (const json::value* meta = obj->if_contains("meta"); meta && meta->is_object()) {
    if (const json::value* w = meta->get_object().if_contains("warnings"); w && w->is_array()) {
      warnings = w->get_array();
    }
  }
  out["warnings"] = std::move(warnings);
  out["rowCount"] = out["rows"].as_array().size();
  const int64_t max_bytes = Mcp(ctx).max_result_bytes;
  FitArray(out, "rows", max_bytes);
  // The counts follow the rows kept; what they add to the size may cost a few rows more.
  auto recount = [&] {
    const size_t rows = out["rows"].as_array().size();
    out["rowCount"] = rows;
    if (out["truncated"].as_bool() && !truncated) {
      json::object& s = out["stats"].as_object();
      s["rows"] = rows;
      s["truncated"] = true;
      s["truncatedBy"] = "mcp.max_result_bytes";
    }
  };
  recount();
  while (McpJson(out).size() > static_cast<size_t>(max_bytes) && !out["rows"].as_array().empty()) {
    out["rows"].as_array().pop_back();
    recount();
  }
  return Success(out);
}

McpToolResult RunListMetrics(const McpTools&, const Router& router, const json::object& args,
                             const McpCallContext& ctx, const CancelToken& cancel) {
  RouteAnswer a = CallRoute(router, ctx, cancel, "GET", "/api/v1/packs");
  McpToolResult error;
  std::optional<json::object> obj = ObjectOf(a.response, &error);
  if (!obj) return error;
  std::string project = StringArg(args, "project");
  if (project.empty()) project = ctx.default_project;
  const ProjectConfig* bound = nullptr;
  if (!project.empty()) {
    if (auto denied = CheckProject(ctx.runtime->config(), a.caller, project)) return *denied;
    bound = ctx.runtime->config().FindProject(project);
  }
  const std::string pack = StringArg(args, "pack");
  json::array packs;
  if (const json::value* listed = obj->if_contains("packs"); listed && listed->is_array()) {
    for (const auto& p : listed->get_array()) {
      if (!p.is_object()) continue;
      const json::object& po = p.get_object();
      if (!pack.empty() && StringArg(po, "name") != pack) continue;
      // With a project: only the packs whose dataset it binds (the metrics it can compute).
      if (bound && !bound->datasets.count(StringArg(po, "dataset"))) continue;
      json::object entry;
      for (const char* key : {"name", "title", "dataset"}) {
        if (const json::value* v = po.if_contains(key)) entry[key] = *v;
      }
      json::array metrics;
      if (const json::value* ms = po.if_contains("metrics"); ms && ms->is_array()) {
        for (const auto& m : ms->get_array()) {
          if (!m.is_object()) continue;
          const json::object& mo = m.get_object();
          json::object metric;
          for (const char* key : {"name", "title", "window", "params"}) {
            if (const json::value* v = mo.if_contains(key)) metric[key] = *v;
          }
          if (const json::value* r = mo.if_contains("result"); r && r->is_object()) {
            if (const json::value* v = r->get_object().if_contains("shape")) metric["shape"] = *v;
            if (const json::value* v = r->get_object().if_contains("fields")) metric["fields"] = *v;
          }
          metrics.push_back(std::move(metric));
        }
      }
      entry["metrics"] = std::move(metrics);
      packs.push_back(std::move(entry));
    }
  }
  if (!pack.empty() && packs.empty()) {
    return ToolError("NOT_FOUND",
                     "no pack named '" + pack + "'" +
                         (bound ? " whose dataset project '" + project + "' binds" : "") +
                         "; list_metrics without `pack` lists them");
  }
  json::object out;
  out["packs"] = std::move(packs);
  return Success(out);
}

McpToolResult RunGetMetric(const McpTools&, const Router& router, const json::object& args,
                           const McpCallContext& ctx, const CancelToken& cancel) {
  std::string project = StringArg(args, "project");
  if (project.empty()) project = ctx.default_project;
  if (project.empty()) project = ctx.runtime->config().default_project;
  if (project.empty()) {
    return ToolError("INVALID_ARGUMENT",
                     "argument 'project' is required: the config names no default_project");
  }
  std::string query;
  if (const json::value* params = args.if_contains("params"); params && params->is_object()) {
    for (const auto& [name, value] : params->get_object()) {
      if (!query.empty()) query.push_back('&');
      query.append(PercentEncode(name)).append("=").append(PercentEncode(ParamText(value)));
    }
  }
  std::string path = "/api/v1/projects/";
  path.append(PercentEncode(project))
      .append("/metrics/")
      .append(PercentEncode(StringArg(args, "pack")))
      .append("/")
      .append(PercentEncode(StringArg(args, "metric")));
  RouteAnswer a = CallRoute(router, ctx, cancel, "GET", path, query);
  McpToolResult error;
  std::optional<json::object> obj = ObjectOf(a.response, &error);
  if (!obj) return error;
  if (!obj->contains("truncated")) (*obj)["truncated"] = false;
  FitArray(*obj, "data", Mcp(ctx).max_result_bytes);
  return Success(*obj);
}

McpToolResult RunInvestigate(const McpTools&, const Router& router, const json::object& args,
                             const McpCallContext& ctx, const CancelToken& cancel) {
  json::object body = args;
  if (!body.contains("project") && !ctx.default_project.empty()) {
    body["project"] = ctx.default_project;
  }
  RouteAnswer a = CallRoute(router, ctx, cancel, "POST", "/api/v1/investigate", {}, McpJson(body));
  McpToolResult error;
  std::optional<json::object> obj = ObjectOf(a.response, &error);
  if (!obj) return error;
  FitArray(*obj, "evidence", Mcp(ctx).max_result_bytes);
  return Success(*obj);
}

using RunFn = McpToolResult (*)(const McpTools&, const Router&, const json::object&,
                                const McpCallContext&, const CancelToken&);

struct ToolSpec {
  const char* name;
  const char* title;
  const char* description;
  std::string input;
  std::string output;
  bool read_only;
  RunFn run;
};

std::vector<ToolSpec> Specs() {
  const std::string project(kProjectProp);
  const std::string error_obj =
      R"j({"type":["object","null"],"properties":{"code":{"type":"string"},"message":{"type":"string"}}})j";
  const std::string column =
      R"j({"type":"object","properties":{"name":{"type":"string"},"type":{"type":"string"},"sourceType":{"type":"string"},"nullable":{"type":"boolean"}},"required":["name","type"]})j";
  std::vector<ToolSpec> specs;
  specs.push_back(
      {"list_sources", "List data sources",
       "The data sources this API key may use, with their type, health status and "
       "capabilities (SQL dialect, schema introspection, parameters). Filtered to one project "
       "when `project` is given.",
       R"j({"type":"object","properties":{)j" + project + R"j(},"additionalProperties":false})j",
       R"j({"type":"object","properties":{"sources":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"type":{"type":"string"},"status":{"type":"string"},"capabilities":{"type":"object"},"error":)j" +
           error_obj + R"j(},"required":["id","type","status"]}}},"required":["sources"]})j",
       true, RunListSources});
  specs.push_back(
      {"describe_source", "Describe a source's tables",
       "The tables of a source with their columns (name, type, source type, nullable): at most "
       "50 tables, or the one named by `table`. Use it before writing SQL for run_query.",
       R"j({"type":"object","properties":{"source":{"type":"string","description":"Source id, from list_sources"},)j" +
           project +
           R"j(,"table":{"type":"string","description":"One table, e.g. public.orders"}},"required":["source"],"additionalProperties":false})j",
       R"j({"type":"object","properties":{"source":{"type":"string"},"tables":{"type":"array","items":{"type":"object","properties":{"schema":{"type":"string"},"name":{"type":"string"},"kind":{"type":"string"},"columns":{"type":"array","items":)j" +
           column + R"j(},"error":)j" + error_obj +
           R"j(},"required":["name","columns"]}},"truncated":{"type":"boolean"}},"required":["source","tables","truncated"]})j",
       true, RunDescribeSource});
  specs.push_back(
      {"run_query", "Run a read-only query",
       "Runs one read-only statement (SQL, or the source's language such as PromQL) on a "
       "source, with the server's statement guard, row caps, timeouts and cost caps. Writes "
       "are refused. Positional parameters ($1, ?) come from `params`.",
       R"j({"type":"object","properties":{"sql":{"type":"string","description":"One read-only statement"},"source":{"type":"string","description":"Source id; optional when the project has one source"},)j" +
           project +
           R"j(,"params":{"type":"array","description":"Positional parameters: JSON values, or {\"type\":\"date\",\"value\":\"2026-01-31\"}"},"options":{"type":"object","description":"Per-query connector options, e.g. Prometheus {\"start\":\"now-1h\",\"step\":\"60s\"}","additionalProperties":{"type":["string","number","boolean"]}},"limit":{"type":"integer","minimum":1,"description":"Maximum rows; default: mcp.default_row_limit"},"timeout_ms":{"type":"integer","minimum":1,"description":"Timeout in milliseconds"}},"required":["sql"],"additionalProperties":false})j",
       R"j({"type":"object","properties":{"columns":{"type":"array","items":)j" + column +
           R"j(},"rows":{"type":"array","items":{"type":"array"}},"rowCount":{"type":"integer"},"truncated":{"type":"boolean"},"stats":{"type":"object"},"warnings":{"type":"array"}},"required":["columns","rows","rowCount","truncated","stats","warnings"]})j",
       true, RunRunQuery});
  specs.push_back(
      {"list_metrics", "List pack metrics",
       "The metric packs (e.g. llm, web) and their metrics, with each metric's window, "
       "parameters and result fields. get_metric computes one.",
       R"j({"type":"object","properties":{)j" + project +
           R"j(,"pack":{"type":"string","description":"Only this pack, e.g. llm"}},"additionalProperties":false})j",
       R"j({"type":"object","properties":{"packs":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"title":{"type":"string"},"dataset":{"type":"string"},"metrics":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"title":{"type":"string"},"window":{"type":"string"},"params":{"type":"array"},"fields":{"type":"array"}},"required":["name"]}}},"required":["name","metrics"]}}},"required":["packs"]})j",
       true, RunListMetrics});
  specs.push_back(
      {"get_metric", "Compute a pack metric",
       "Computes one pack metric for a project, e.g. pack llm, metric daily_traffic, params "
       "{\"days\": 7}; list_metrics gives each metric's parameters.",
       R"j({"type":"object","properties":{"pack":{"type":"string","description":"Pack name, e.g. llm"},"metric":{"type":"string","description":"Metric name, e.g. daily_traffic"},)j" +
           project +
           R"j(,"params":{"type":"object","description":"The metric's parameters, e.g. {\"days\": 7}","additionalProperties":{"type":["string","number","boolean","array"]}}},"required":["pack","metric"],"additionalProperties":false})j",
       R"j({"type":"object","properties":{"data":{},"meta":{"type":"object"},"truncated":{"type":"boolean"}},"required":["data","meta","truncated"]})j",
       true, RunGetMetric});
  specs.push_back(
      {"investigate", "Investigate an incident",
       "Gathers evidence from every source tagged for the services and environment: error "
       "counts and top messages from logs, latency and error-rate series, recent changes; "
       "answers a timeline of notable shifts, the evidence with the queries run, the affected "
       "components and the sources that failed.",
       R"j({"type":"object","properties":{)j" + project +
           R"j(,"question":{"type":"string","description":"The on-call question, free text"},"context":{"type":"object","properties":{"environment":{"type":"string"},"time_range":{"type":"object","properties":{"start":{"type":"string","description":"RFC 3339, or now-1h"},"end":{"type":"string","description":"RFC 3339, or now"}},"required":["start","end"],"additionalProperties":false},"services":{"type":"array","items":{"type":"string"}}},"required":["time_range"],"additionalProperties":false},"step_seconds":{"type":"integer","minimum":1,"maximum":86400}},"required":["context"],"additionalProperties":false})j",
       R"j({"type":"object","properties":{"id":{"type":"string"},"project":{"type":"string"},"timeline":{"type":"array"},"evidence":{"type":"array"},"components":{"type":"array"},"failed_sources":{"type":"array"},"skipped_sources":{"type":"array"}}})j",
       true, RunInvestigate});
  return specs;
}

}  // namespace

McpTools::McpTools(const Router& router) : router_(router) {
  JsonOut out;
  out.StartObject();
  out.Key("tools").StartArray();
  for (ToolSpec& spec : Specs()) {
    auto tool = std::make_shared<Tool>();
    tool->name = spec.name;
    tool->title = spec.title;
    tool->description = spec.description;
    tool->input_schema = Schema(spec.input);
    tool->output_schema = Schema(spec.output);
    tool->read_only = spec.read_only;
    RunFn run = spec.run;
    tool->run = [run](const McpTools& self, const json::object& args, const McpCallContext& ctx,
                      const CancelToken& cancel) {
      return run(self, self.router_, args, ctx, cancel);
    };
    out.StartObject();
    out.Key("name").String(tool->name);
    out.Key("title").String(tool->title);
    out.Key("description").String(tool->description);
    out.Key("inputSchema").Raw(McpJson(tool->input_schema));
    out.Key("outputSchema").Raw(McpJson(tool->output_schema));
    out.Key("annotations").StartObject();
    out.Key("title").String(tool->title);
    out.Key("readOnlyHint").Bool(tool->read_only);
    out.Key("openWorldHint").Bool(false);
    out.EndObject();
    out.EndObject();
    tools_.push_back(std::move(tool));
  }
  out.EndArray();
  out.EndObject();
  list_json_ = out.Take();
}

bool McpTools::Has(std::string_view name) const {
  return std::any_of(tools_.begin(), tools_.end(), [&](const auto& t) { return t->name == name; });
}

McpToolResult McpTools::Call(std::string_view name, const json::object& arguments,
                             const McpCallContext& ctx, const CancelToken& cancel) const {
  for (const auto& tool : tools_) {
    if (tool->name != name) continue;
    if (auto problem = ValidateAgainstSchema(tool->input_schema, arguments, "")) {
      return ToolError("INVALID_ARGUMENT", *problem + " (tool " + tool->name + ")");
    }
    if (!ctx.runtime) return ToolError("UNAVAILABLE", "the server is starting");
    return tool->run(*this, arguments, ctx, cancel);
  }
  return ToolError("NOT_FOUND", "no tool named '" + std::string(name) + "'");
}

Result<std::string> McpTools::ListResources(const McpCallContext& ctx) const {
  CancelToken cancel = ctx.cancel;
  RouteAnswer a = CallRoute(router_, ctx, cancel, "GET", "/api/v1/sources");
  McpToolResult error;
  std::optional<json::object> obj = ObjectOf(a.response, &error);
  if (!obj) return Internal(error.error_code + ": " + error.error_message);
  JsonOut out;
  out.StartObject();
  out.Key("resources").StartArray();
  if (const json::value* listed = obj->if_contains("sources"); listed && listed->is_array()) {
    for (const auto& s : listed->get_array()) {
      if (!s.is_object()) continue;
      const std::string id = StringArg(s.get_object(), "id");
      if (id.empty()) continue;
      std::string uri(kSchemaUriPrefix);
      uri.append(PercentEncode(id)).append(kSchemaUriSuffix);
      out.StartObject();
      out.Key("uri").String(uri);
      out.Key("name").String(id + " schema");
      out.Key("title").String("Schema of source " + id);
      out.Key("description")
          .String("The tables and columns of source '" + id + "' (" +
                  StringArg(s.get_object(), "type") + ")");
      out.Key("mimeType").String("application/json");
      out.EndObject();
    }
  }
  out.EndArray();
  out.EndObject();
  return out.Take();
}

std::string McpTools::ListResourceTemplates() {
  JsonOut out;
  out.StartObject();
  out.Key("resourceTemplates").StartArray();
  out.StartObject();
  out.Key("uriTemplate").String("tributary://sources/{source}/schema");
  out.Key("name").String("source schema");
  out.Key("title").String("Schema of a source");
  out.Key("description").String("The tables and columns of a source (as describe_source)");
  out.Key("mimeType").String("application/json");
  out.EndObject();
  out.EndArray();
  out.EndObject();
  return out.Take();
}

McpTools::ResourceRead McpTools::ReadResource(std::string_view uri, const McpCallContext& ctx,
                                              const CancelToken& cancel) const {
  ResourceRead read;
  auto not_found = [&] {
    read.error = McpResourceError{true, "Resource not found: " + std::string(uri)};
    return read;
  };
  if (uri.substr(0, kSchemaUriPrefix.size()) != kSchemaUriPrefix ||
      uri.size() <= kSchemaUriPrefix.size() + kSchemaUriSuffix.size() ||
      uri.substr(uri.size() - kSchemaUriSuffix.size()) != kSchemaUriSuffix) {
    return not_found();
  }
  std::string_view encoded = uri.substr(
      kSchemaUriPrefix.size(), uri.size() - kSchemaUriPrefix.size() - kSchemaUriSuffix.size());
  if (encoded.find('/') != std::string_view::npos) return not_found();
  std::optional<std::string> decoded = PercentDecode(encoded);
  if (!decoded || decoded->empty()) return not_found();
  const std::string source = std::move(*decoded);
  if (!ctx.runtime) {
    read.error = McpResourceError{false, "the server is starting"};
    return read;
  }
  McpToolResult r = DescribeSource(router_, ctx, cancel, source, "");
  if (r.is_error) {
    if (r.error_code == "NOT_FOUND" || r.error_code == "PERMISSION_DENIED") return not_found();
    read.error = McpResourceError{false, r.error_code + ": " + r.error_message};
    return read;
  }
  JsonOut out;
  out.StartObject();
  out.Key("contents").StartArray();
  out.StartObject();
  out.Key("uri").String(uri);
  out.Key("mimeType").String("application/json");
  out.Key("text").String(r.structured);
  out.EndObject();
  out.EndArray();
  out.EndObject();
  read.json = out.Take();
  return read;
}

}  // namespace tributary
