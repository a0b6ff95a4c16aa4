#include "server/import_api.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <charconv>
#include <filesystem>

#include "core/json_out.h"
#include "core/json_value.h"
#include "core/time_util.h"
#include "orchestrator/runtime.h"
#include "server/api_types.h"
#include "server/http_util.h"
#include "server/import_manager.h"

namespace tributary {

namespace json = boost::json;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

ApiResponse ImportsOff(const ApiRequest& req) {
  return ErrorResponse(404, "NOT_FOUND",
                       "imports are off on this server; set imports.enabled: true in the config "
                       "to use them",
                       req.request_id);
}

std::string IsoOfMillis(int64_t ms) {
  return FormatTimestamp(ms * 1000);
}

//! The job `{id}` if the caller may see it; the same 404 otherwise, so ids of other projects
//! cannot be probed.
Result<std::shared_ptr<ImportJob>> VisibleJob(ImportManager& imports, const ApiRequest& req) {
  auto it = req.path_params.find("id");
  const std::string id = it == req.path_params.end() ? std::string() : it->second;
  std::shared_ptr<ImportJob> job = imports.Find(id);
  if (!job || !req.caller.SeesProject(job->project)) {
    return NotFound("unknown import '" + id +
                    "' (finished imports are kept for imports.keep_finished_seconds); list "
                    "them with GET /api/v1/imports");
  }
  return job;
}

ApiResponse JobResponse(const ImportJob& job, bool with_preview, int status = 200) {
  std::lock_guard lock(job.mu);
  return JsonResponse(ImportJobJson(job, with_preview), status);
}

Result<bool> ParseBool(std::string_view name, std::string_view value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return InvalidArgument("'" + std::string(name) + "' must be true or false, got '" +
                         std::string(value) + "'");
}

//! Reads the sniff hints of docs/import.md from query parameters or form fields.
Status ApplyHint(importer::SniffHints& hints, std::string* name, const std::string& key,
                 const std::string& value) {
  if (key == "name") {
    *name = value;
  } else if (key == "format") {
    auto format = importer::ParseFormatName(value);
    if (!format) {
      return InvalidArgument("unknown format '" + value +
                             "'; use csv, tsv, json, ndjson, xlsx or parquet");
    }
    hints.format = format;
  } else if (key == "delimiter") {
    hints.delimiter = value == "\\t" || value == "tab" ? "\t" : value;
  } else if (key == "quote") {
    hints.quote = value;
  } else if (key == "escape") {
    hints.escape = value;
  } else if (key == "header") {
    TRIB_ASSIGN_OR_RETURN(bool header, ParseBool(key, value));
    hints.header = header;
  } else if (key == "encoding") {
    hints.encoding = value;
  } else if (key == "skipRows") {
    int64_t rows = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), rows);
    if (ec != std::errc() || ptr != value.data() + value.size() || rows < 0) {
      return InvalidArgument("'skipRows' must be a whole number >= 0, got '" + value + "'");
    }
    hints.skip_rows = rows;
  } else if (key == "sheet") {
    hints.sheets.push_back(value);
  }
  return Status::Ok();
}

Result<std::string> JsonString(const json::object& o, std::string_view key,
                               std::string_view where) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) {
    return InvalidArgument(std::string(where) + "." + std::string(key) + " must be a string");
  }
  return std::string(v->get_string());
}

Result<json::object> ParseObject(const std::string& body, bool empty_ok) {
  if (body.empty() && empty_ok) return json::object();
  boost::system::error_code ec;
  json::value v = ParseJson(body, ec);
  if (ec) return InvalidArgument("the body is not valid JSON: " + ec.message());
  if (!v.is_object()) return InvalidArgument("the body must be a JSON object");
  return std::move(v.get_object());
}

Result<importer::SniffHints> HintsFromJson(const json::object& body) {
  importer::SniffHints hints;
  std::string unused;
  if (const json::value* f = body.if_contains("format"); f && f->is_string()) {
    TRIB_RETURN_IF_ERROR(ApplyHint(hints, &unused, "format", std::string(f->get_string())));
  }
  if (const json::value* csv = body.if_contains("csv"); csv && csv->is_object()) {
    for (const auto& [key, value] : csv->get_object()) {
      std::string text;
      if (value.is_string()) {
        text = std::string(value.get_string());
      } else if (value.is_bool()) {
        text = value.get_bool() ? "true" : "false";
      } else if (value.is_int64()) {
        text = std::to_string(value.get_int64());
      } else {
        return InvalidArgument("csv." + std::string(key) + " must be a string, number or boolean");
      }
      TRIB_RETURN_IF_ERROR(ApplyHint(hints, &unused, std::string(key), text));
    }
  }
  if (const json::value* sheets = body.if_contains("sheets"); sheets && sheets->is_array()) {
    for (const auto& s : sheets->get_array()) {
      if (!s.is_string()) return InvalidArgument("sheets must be a list of sheet names");
      hints.sheets.emplace_back(s.get_string());
    }
  }
  return hints;
}

Result<ImportConfirmation> ConfirmationFromJson(const json::object& body) {
  static const std::vector<std::string> kKeys = {"name", "onError", "target", "tables", "datasets"};
  for (const auto& [key, value] : body) {
    if (std::find(kKeys.begin(), kKeys.end(), std::string(key)) == kKeys.end()) {
      return InvalidArgument("unknown key '" + std::string(key) +
                             "' in the confirmation; allowed: name, onError, target, tables, "
                             "datasets");
    }
  }
  ImportConfirmation c;
  TRIB_ASSIGN_OR_RETURN(std::string name, JsonString(body, "name", "body"));
  if (!name.empty()) c.name = name;
  TRIB_ASSIGN_OR_RETURN(std::string on_error, JsonString(body, "onError", "body"));
  if (on_error == "skip") {
    c.on_error = importer::OnError::kSkip;
  } else if (on_error == "fail") {
    c.on_error = importer::OnError::kFail;
  } else if (!on_error.empty()) {
    return InvalidArgument("onError must be 'fail' or 'skip', got '" + on_error + "'");
  }
  TRIB_ASSIGN_OR_RETURN(std::string target, JsonString(body, "target", "body"));
  if (!target.empty()) c.target = target;
  if (const json::value* tables = body.if_contains("tables"); tables && !tables->is_null()) {
    if (!tables->is_array()) return InvalidArgument("tables must be a list of tables");
    std::vector<importer::TablePlan> plans;
    for (size_t i = 0; i < tables->get_array().size(); ++i) {
      const json::value& t = tables->get_array()[i];
      const std::string where = "tables[" + std::to_string(i) + "]";
      if (!t.is_object()) return InvalidArgument(where + " must be an object");
      importer::TablePlan plan;
      TRIB_ASSIGN_OR_RETURN(plan.name, JsonString(t.get_object(), "name", where));
      TRIB_ASSIGN_OR_RETURN(plan.sheet, JsonString(t.get_object(), "sheet", where));
      if (const json::value* cols = t.get_object().if_contains("columns"); cols) {
        if (!cols->is_array()) return InvalidArgument(where + ".columns must be a list");
        for (size_t j = 0; j < cols->get_array().size(); ++j) {
          const json::value& col = cols->get_array()[j];
          const std::string cw = where + ".columns[" + std::to_string(j) + "]";
          if (!col.is_object()) return InvalidArgument(cw + " must be an object");
          importer::ColumnSpec spec;
          TRIB_ASSIGN_OR_RETURN(spec.source_name, JsonString(col.get_object(), "sourceName", cw));
          TRIB_ASSIGN_OR_RETURN(spec.name, JsonString(col.get_object(), "name", cw));
          TRIB_ASSIGN_OR_RETURN(spec.type, JsonString(col.get_object(), "type", cw));
          plan.columns.push_back(std::move(spec));
        }
      }
      plans.push_back(std::move(plan));
    }
    c.tables = std::move(plans);
  }
  if (const json::value* datasets = body.if_contains("datasets"); datasets) {
    if (!datasets->is_array()) return InvalidArgument("datasets must be a list of names");
    for (const auto& d : datasets->get_array()) {
      if (!d.is_string()) return InvalidArgument("datasets must be a list of names");
      c.datasets.emplace_back(d.get_string());
    }
  }
  return c;
}

//! The project an upload goes to: `?project=`, else the config's default project.
Result<std::string> UploadProject(const ApiRequest& req) {
  TRIB_ASSIGN_OR_RETURN(Params params, ParseQueryString(req.query));
  std::string project;
  for (const auto& [k, v] : params) {
    if (k == "project") project = v;
  }
  const Config& config = req.runtime->config();
  if (project.empty()) project = config.default_project;
  if (project.empty()) {
    return InvalidArgument("name the project the import belongs to with ?project=");
  }
  if (!config.FindProject(project)) {
    return NotFound("unknown project '" + project + "'");
  }
  return project;
}

Result<UploadPlan> BeginUpload(const ApiRequest& req, ImportManager* imports) {
  if (!imports) {
    return NotFound("imports are off on this server; set imports.enabled: true in the config");
  }
  TRIB_ASSIGN_OR_RETURN(std::string project, UploadProject(req));
  UploadPlan plan;
  TRIB_ASSIGN_OR_RETURN(std::shared_ptr<ImportJob> job, imports->BeginUpload(project, &plan));
  return plan;
}

ApiResponse Upload(const ApiRequest& req, ImportManager* imports) {
  if (!imports) return ImportsOff(req);
  if (!req.upload) {
    return ErrorResponse(InvalidArgument("no file was uploaded"), req.request_id);
  }
  // The plan's file is "<id>.upload": it names the job BeginUpload made.
  const std::string id = std::filesystem::path(req.upload->path).stem().string();
  std::shared_ptr<ImportJob> job = imports->Find(id);
  if (!job) {
    std::error_code ec;
    std::filesystem::remove(req.upload->path, ec);
    return ErrorResponse(Internal("the upload's import " + id + " is gone"), req.request_id);
  }
  importer::SniffHints hints;
  std::string name;
  Status st = Status::Ok();
  Result<Params> params = ParseQueryString(req.query);
  if (!params.ok()) st = params.status();
  if (st.ok()) {
    for (const auto& [k, v] : *params) {
      if (!st.ok()) break;
      st = ApplyHint(hints, &name, k, v);
    }
    for (const auto& [k, v] : req.upload->fields) {
      if (!st.ok()) break;
      st = ApplyHint(hints, &name, k, v);
    }
  }
  if (st.ok()) {
    st = imports->FinishUpload(job, *req.runtime, req.upload->filename, name, hints);
  } else {
    (void)imports->Cancel(job);
  }
  if (!st.ok()) return ErrorResponse(st, req.request_id);
  ApiResponse resp = JobResponse(*job, /*with_preview=*/true, 201);
  resp.headers.emplace_back("Location", "/api/v1/imports/" + job->id);
  return resp;
}

ApiResponse GetImport(const ApiRequest& req, ImportManager* imports, bool preview) {
  if (!imports) return ImportsOff(req);
  Result<std::shared_ptr<ImportJob>> job = VisibleJob(*imports, req);
  if (!job.ok()) return ErrorResponse(job.status(), req.request_id);
  if (preview) {
    std::lock_guard lock((*job)->mu);
    if ((*job)->previews.empty()) {
      return ErrorResponse(FailedPrecondition("import " + (*job)->id + " has no preview: it is " +
                                              std::string(ImportStatusName((*job)->status))),
                           req.request_id);
    }
  }
  return JobResponse(**job, preview);
}

ApiResponse Repreview(const ApiRequest& req, ImportManager* imports) {
  if (!imports) return ImportsOff(req);
  Result<std::shared_ptr<ImportJob>> job = VisibleJob(*imports, req);
  if (!job.ok()) return ErrorResponse(job.status(), req.request_id);
  Result<json::object> body = ParseObject(req.body, true);
  if (!body.ok()) return ErrorResponse(body.status(), req.request_id);
  Result<importer::SniffHints> hints = HintsFromJson(*body);
  if (!hints.ok()) return ErrorResponse(hints.status(), req.request_id);
  Status st = imports->Resniff(*job, *hints, req.runtime.get());
  if (!st.ok()) return ErrorResponse(st, req.request_id);
  return JobResponse(**job, true);
}

ApiResponse Confirm(const ApiRequest& req, ImportManager* imports) {
  if (!imports) return ImportsOff(req);
  Result<std::shared_ptr<ImportJob>> job = VisibleJob(*imports, req);
  if (!job.ok()) return ErrorResponse(job.status(), req.request_id);
  Result<json::object> body = ParseObject(req.body, true);
  if (!body.ok()) return ErrorResponse(body.status(), req.request_id);
  Result<ImportConfirmation> confirmation = ConfirmationFromJson(*body);
  if (!confirmation.ok()) return ErrorResponse(confirmation.status(), req.request_id);
  Status st = imports->Confirm(*job, req.runtime->config(), *confirmation);
  if (!st.ok()) return ErrorResponse(st, req.request_id);
  return JobResponse(**job, false, 202);
}

ApiResponse Events(const ApiRequest& req, ImportManager* imports) {
  if (!imports) return ImportsOff(req);
  Result<std::shared_ptr<ImportJob>> job = VisibleJob(*imports, req);
  if (!job.ok()) return ErrorResponse(job.status(), req.request_id);
  size_t from = 0;
  std::string_view last = req.Header("last-event-id");
  if (!last.empty()) {
    (void)std::from_chars(last.data(), last.data() + last.size(), from);
  }
  ApiResponse resp;
  resp.content_type = "text/event-stream";
  resp.stream = MakeEventStream((*job)->events, from);
  return resp;
}

ApiResponse CancelImport(const ApiRequest& req, ImportManager* imports) {
  if (!imports) return ImportsOff(req);
  Result<std::shared_ptr<ImportJob>> job = VisibleJob(*imports, req);
  if (!job.ok()) return ErrorResponse(job.status(), req.request_id);
  Status st = imports->Cancel(*job);
  if (!st.ok()) return ErrorResponse(st, req.request_id);
  return JobResponse(**job, false);
}

ApiResponse ListImports(const ApiRequest& req, ImportManager* imports) {
  if (!imports) return ImportsOff(req);
  Result<Params> params = ParseQueryString(req.query);
  if (!params.ok()) return ErrorResponse(params.status(), req.request_id);
  std::string project;
  for (const auto& [k, v] : *params) {
    if (k == "project") project = v;
  }
  JsonOut out;
  out.StartObject();
  out.Key("imports").StartArray();
  for (const auto& job : imports->Jobs()) {
    if (!req.caller.SeesProject(job->project)) continue;
    if (!project.empty() && job->project != project) continue;
    std::lock_guard lock(job->mu);
    out.Raw(ImportJobJson(*job, false));
  }
  out.EndArray();
  out.EndObject();
  return JsonResponse(out.Take());
}

ApiResponse DeleteSource(const ApiRequest& req, ImportManager* imports) {
  auto it = req.path_params.find("id");
  const std::string id = it == req.path_params.end() ? std::string() : it->second;
  const Config& config = req.runtime->config();
  const SourceConfig* source = config.FindSource(id);
  if (source && source->import_id.empty() && req.caller.SeesSource(config, id)) {
    return ErrorResponse(FailedPrecondition("source '" + id +
                                            "' comes from the config file, not from an import; "
                                            "remove it there and reload"),
                         req.request_id);
  }
  if (!imports) return ImportsOff(req);
  Result<std::optional<importer::CatalogEntry>> entry = imports->catalog().FindByName(id);
  if (!entry.ok()) return ErrorResponse(entry.status(), req.request_id);
  if (!*entry || !req.caller.SeesProject((*entry)->project)) {
    return ErrorResponse(NotFound("unknown source '" + id + "'"), req.request_id);
  }
  Status st = imports->RemoveSource((*entry)->id);
  if (!st.ok()) return ErrorResponse(st, req.request_id);
  JsonOut out;
  out.StartObject();
  out.Key("deleted").Bool(true);
  out.Key("id").String(id);
  out.Key("importId").String((*entry)->id);
  out.EndObject();
  return JsonResponse(out.Take());
}

void WriteEntry(JsonOut& out, const importer::CatalogEntry& entry, ImportManager* imports) {
  out.StartObject();
  out.Key("id").String(entry.id);
  out.Key("kind").String(entry.kind);
  out.Key("format").String(entry.format);
  out.Key("filename").String(entry.filename);
  out.Key("project").String(entry.project);
  out.Key("target");
  entry.target_source.empty() ? out.Null() : out.String(entry.target_source);
  out.Key("sizeBytes").Int(static_cast<int64_t>(entry.size_bytes));
  out.Key("rowCount").Int(static_cast<int64_t>(entry.row_count));
  out.Key("status").String(entry.status);
  out.Key("error");
  entry.error.empty() ? out.Null() : out.String(entry.error);
  out.Key("createdAt").String(IsoOfMillis(entry.created_ms));
  out.Key("lastAccessedAt").String(IsoOfMillis(entry.last_accessed_ms));
  if (entry.status == "importing") {
    out.Key("progress");
    std::shared_ptr<ImportJob> job = imports->JobOfEntry(entry.id);
    if (job) {
      std::lock_guard lock(job->mu);
      out.Double(job->progress.percent);
    } else {
      out.Null();
    }
  }
  out.Key("tables").StartArray();
  for (const auto& t : entry.tables) {
    out.StartObject();
    out.Key("name").String(t.name);
    out.Key("rows").Int(static_cast<int64_t>(t.rows));
    out.Key("bytes").Int(static_cast<int64_t>(t.bytes));
    out.Key("columns").StartArray();
    for (const auto& c : t.columns) {
      out.StartObject();
      out.Key("name").String(c.name);
      out.Key("type").String(c.type);
      out.EndObject();
    }
    out.EndArray();
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
}

}  // namespace

void WriteImportInfo(JsonOut& out, ImportManager* imports, const std::string& entry_id) {
  if (!imports) return;
  Result<std::optional<importer::CatalogEntry>> entry = imports->catalog().Get(entry_id);
  if (!entry.ok() || !*entry) return;
  out.Key("import");
  WriteEntry(out, **entry, imports);
}

void WritePendingImports(JsonOut& out, ImportManager* imports, const ApiRequest& req) {
  if (!imports) return;
  Result<std::vector<importer::CatalogEntry>> entries = imports->catalog().List();
  if (!entries.ok()) return;
  for (const auto& entry : *entries) {
    if (!req.caller.SeesProject(entry.project)) continue;
    // Ready local imports are sources of the runtime and listed as such.
    if (entry.status == "ready" && req.runtime->config().FindSource(entry.name)) continue;
    out.StartObject();
    out.Key("id").String(entry.name);
    out.Key("type").String("import");
    out.Key("status").String(entry.status == "ready" ? "ok" : "unknown");
    out.Key("latencyMs").Null();
    out.Key("checkedAt").Null();
    out.Key("error");
    if (entry.error.empty()) {
      out.Null();
    } else {
      out.StartObject();
      out.Key("code").String("UNAVAILABLE");
      out.Key("message").String(entry.error);
      out.EndObject();
    }
    out.Key("capabilities").StartObject().EndObject();
    out.Key("import");
    WriteEntry(out, entry, imports);
    out.EndObject();
  }
}

void AddImportRoutes(Router& router, const std::shared_ptr<ImportManager>* imports) {
  auto with = [imports](ApiResponse (*f)(const ApiRequest&, ImportManager*)) {
    return [imports, f](const ApiRequest& req) { return f(req, imports->get()); };
  };
  router.Add("POST", "/api/v1/imports", with(Upload), /*blocking=*/true,
             RouteAccess::Import(ProjectFrom::kQueryParam));
  router.SetUpload("POST", "/api/v1/imports", UploadRoute{[imports](const ApiRequest& req) {
                     return BeginUpload(req, imports->get());
                   }});
  router.Add("GET", "/api/v1/imports", with(ListImports), /*blocking=*/true,
             RouteAccess::Import(ProjectFrom::kNone));
  router.Add(
      "GET", "/api/v1/imports/{id}",
      [imports](const ApiRequest& req) { return GetImport(req, imports->get(), false); },
      /*blocking=*/false, RouteAccess::Import(ProjectFrom::kNone));
  router.Add(
      "GET", "/api/v1/imports/{id}/preview",
      [imports](const ApiRequest& req) { return GetImport(req, imports->get(), true); },
      /*blocking=*/false, RouteAccess::Import(ProjectFrom::kNone));
  router.Add("POST", "/api/v1/imports/{id}/preview", with(Repreview), /*blocking=*/true,
             RouteAccess::Import(ProjectFrom::kNone));
  router.Add("POST", "/api/v1/imports/{id}/confirm", with(Confirm), /*blocking=*/true,
             RouteAccess::Import(ProjectFrom::kNone));
  router.Add("GET", "/api/v1/imports/{id}/events", with(Events), /*blocking=*/false,
             RouteAccess::Import(ProjectFrom::kNone));
  router.Add("DELETE", "/api/v1/imports/{id}", with(CancelImport), /*blocking=*/true,
             RouteAccess::Import(ProjectFrom::kNone));
  // The project check is the handler's: a failed import is no source of the runtime.
  router.Add("DELETE", "/api/v1/sources/{id}", with(DeleteSource), /*blocking=*/true,
             RouteAccess::Import(ProjectFrom::kNone));
}

}  // namespace tributary
