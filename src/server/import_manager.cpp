#include "server/import_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "common/disk_space.h"
#include "config/config_render.h"
#include "core/json_out.h"
#include "core/text.h"
#include "core/time_util.h"
#include "importer/parquet_stats.h"
#include "importer/targets/target_loader.h"
#include "orchestrator/runtime.h"

namespace tributary {

namespace fs = std::filesystem;

namespace {

// Progress events closer together than this are merged (the last one wins): a browser
// gains nothing from more, and a long import's replay stays short.
constexpr auto kProgressEventInterval = std::chrono::milliseconds(200);
constexpr size_t kMaxRejectSamples = 20;

int64_t MillisOf(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string IsoOf(std::chrono::system_clock::time_point t) {
  return FormatTimestamp(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

bool IsFinished(ImportJob::Status s) {
  return s == ImportJob::Status::kReady || s == ImportJob::Status::kError ||
         s == ImportJob::Status::kCancelled;
}

//! The import name a file name suggests: its stem as an identifier, lower-case.
std::string NameFromFilename(const std::string& filename) {
  std::string stem = fs::path(filename).stem().string();
  std::string name = AsciiLower(importer::SanitizeIdentifier(stem.empty() ? "import" : stem));
  return name;
}

void WriteProgressFields(JsonOut& out, const ImportJob& job) {
  out.Key("phase").String(job.phase);
  out.Key("progress").Double(std::round(job.progress.percent * 10) / 10);
  out.Key("rowsProcessed").Int(static_cast<int64_t>(job.progress.rows_processed));
  out.Key("totalRows");
  if (job.progress.total_rows > 0) {
    out.Int(static_cast<int64_t>(job.progress.total_rows));
  } else {
    out.Null();
  }
  out.Key("totalExact").Bool(job.progress.total_exact);
  out.Key("bytesProcessed").Int(static_cast<int64_t>(job.progress.bytes_processed));
  out.Key("etaSeconds");
  if (job.eta_seconds) {
    out.Double(std::round(*job.eta_seconds * 10) / 10);
  } else {
    out.Null();
  }
  out.Key("status").String(ImportStatusName(job.status));
}

void WriteError(JsonOut& out, const Status& error) {
  out.Key("error");
  if (error.ok()) {
    out.Null();
    return;
  }
  out.StartObject();
  out.Key("code").String(ErrorCodeName(error.code()));
  out.Key("message").String(error.message());
  out.EndObject();
}

void WriteRejects(JsonOut& out, const std::vector<importer::Reject>& rejects) {
  out.Key("rejects").StartArray();
  for (const auto& r : rejects) {
    out.StartObject();
    out.Key("table").String(r.table);
    out.Key("sheet");
    r.sheet.empty() ? out.Null() : out.String(r.sheet);
    out.Key("line").Int(static_cast<int64_t>(r.line));
    out.Key("column").Int(static_cast<int64_t>(r.column));
    out.Key("columnName").String(r.column_name);
    out.Key("message").String(r.message);
    out.Key("raw").String(r.raw);
    out.EndObject();
  }
  out.EndArray();
}

//! The datasets of the packs whose canonical columns the table has, by name.
std::vector<std::string> FittingDatasets(const Runtime* runtime,
                                         const std::vector<importer::TablePlan>& tables) {
  std::vector<std::string> out;
  if (!runtime || !runtime->packs().ok()) return out;
  for (const auto& pack : (*runtime->packs())->packs()) {
    if (pack.dataset.empty() || pack.columns.empty()) continue;
    for (const auto& table : tables) {
      bool fits = std::all_of(pack.columns.begin(), pack.columns.end(), [&](const PackColumn& c) {
        return std::any_of(table.columns.begin(), table.columns.end(),
                           [&](const importer::ColumnSpec& s) { return s.name == c.name; });
      });
      if (fits && std::find(out.begin(), out.end(), pack.dataset) == out.end()) {
        out.push_back(pack.dataset);
      }
    }
  }
  return out;
}

class EventStream final : public ResponseStream, public std::enable_shared_from_this<EventStream> {
 public:
  EventStream(std::shared_ptr<EventLog> log, size_t from) : log_(std::move(log)), next_(from) {}
  ~EventStream() override { Cancel(); }

  void Next(Deliver deliver) override {
    bool closed = false;
    std::string text = log_->Since(next_, &next_, &closed);
    if (!text.empty()) {
      deliver(std::move(text));
      return;
    }
    if (closed) {
      deliver(std::nullopt);
      return;
    }
    {
      std::lock_guard lock(mu_);
      if (cancelled_) {
        deliver(std::nullopt);
        return;
      }
      pending_ = std::move(deliver);
    }
    std::weak_ptr<EventStream> weak = weak_from_this();
    uint64_t handle = log_->Wait(next_, [weak] {
      auto self = weak.lock();
      if (!self) return;
      Deliver d;
      {
        std::lock_guard lock(self->mu_);
        d = std::move(self->pending_);
        self->pending_ = nullptr;
        self->wait_ = 0;
      }
      if (d) self->Next(std::move(d));
    });
    std::lock_guard lock(mu_);
    if (pending_) wait_ = handle;
  }

  void Cancel() override {
    Deliver d;
    uint64_t wait = 0;
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
      d = std::move(pending_);
      pending_ = nullptr;
      wait = std::exchange(wait_, 0);
    }
    if (wait != 0) log_->Unwait(wait);
    if (d) d(std::nullopt);
  }

 private:
  std::shared_ptr<EventLog> log_;
  size_t next_;
  std::mutex mu_;
  Deliver pending_;
  uint64_t wait_ = 0;
  bool cancelled_ = false;
};

//! Loads every table of `plan` into new tables of the import target `target` (in batches, one
//! loader per table), and commits them all at the end: a failure before that leaves nothing
//! in the target (PostgreSQL rolls back, ClickHouse drops the tables).
Result<importer::ConvertResult> LoadIntoTarget(const SourceConfig& target,
                                               const std::string& upload,
                                               const importer::ImportPlan& plan,
                                               const std::string& scratch_dir,
                                               const importer::ProgressFn& progress,
                                               const CancelToken& cancel) {
  constexpr size_t kBatchRows = 10000;
  importer::ConvertResult out;
  std::vector<std::unique_ptr<importer::TargetLoader>> loaders;
  auto fail = [&](const Status& why) {
    for (auto& loader : loaders) loader->Abort();
    std::error_code ignored;
    fs::remove_all(scratch_dir, ignored);
    return why;
  };
  std::error_code ec;
  fs::create_directories(scratch_dir, ec);
  for (size_t i = 0; i < plan.tables.size(); ++i) {
    const importer::TablePlan& table = plan.tables[i];
    Result<std::unique_ptr<importer::TargetLoader>> loader =
        importer::OpenTargetLoader(target, table.name, table.columns, cancel);
    if (!loader.ok()) return fail(loader.status());
    loaders.push_back(std::move(loader).value());
    importer::TargetLoader& current = *loaders.back();
    Result<importer::ConvertResult> streamed = importer::StreamRows(
        upload, plan, i, scratch_dir, kBatchRows,
        [&current](const importer::RowBatch& batch) { return current.Write(batch); }, progress,
        cancel);
    if (!streamed.ok()) return fail(streamed.status());
    out.rejected_rows += streamed->rejected_rows;
    for (auto& r : streamed->rejects) out.rejects.push_back(std::move(r));
  }
  for (size_t i = 0; i < loaders.size(); ++i) {
    Result<uint64_t> rows = loaders[i]->Commit();
    if (!rows.ok()) return fail(rows.status());
    importer::ConvertedTable converted;
    converted.name = plan.tables[i].name;
    converted.location = loaders[i]->location();
    converted.rows = *rows;
    converted.columns = plan.tables[i].columns;
    out.tables.push_back(std::move(converted));
  }
  fs::remove_all(scratch_dir, ec);
  return out;
}

}  // namespace

std::string_view ImportStatusName(ImportJob::Status status) {
  switch (status) {
    case ImportJob::Status::kUploading:
      return "uploading";
    case ImportJob::Status::kAwaitingConfirmation:
      return "awaiting_confirmation";
    case ImportJob::Status::kQueued:
      return "queued";
    case ImportJob::Status::kImporting:
      return "importing";
    case ImportJob::Status::kReady:
      return "ready";
    case ImportJob::Status::kError:
      return "error";
    case ImportJob::Status::kCancelled:
      return "cancelled";
  }
  return "error";
}

// ---- EventLog ----

void EventLog::Publish(std::string_view event, std::string_view json_data, bool final) {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    std::string text = "id: ";
    text.append(std::to_string(events_.size() + 1));
    text.append("\nevent: ");
    text.append(event);
    text.append("\ndata: ");
    text.append(json_data);
    text.append("\n\n");
    events_.push_back(std::move(text));
    closed_ = final;
    for (auto& [handle, waiter] : waiters_) wake.push_back(std::move(waiter.second));
    waiters_.clear();
  }
  for (auto& w : wake) w();
}

std::string EventLog::Since(size_t from, size_t* next, bool* closed) const {
  std::lock_guard lock(mu_);
  std::string out;
  for (size_t i = from; i < events_.size(); ++i) out += events_[i];
  *next = std::max(from, events_.size());
  *closed = closed_ && *next >= events_.size();
  return out;
}

uint64_t EventLog::Wait(size_t from, std::function<void()> wake) {
  {
    std::lock_guard lock(mu_);
    if (from >= events_.size() && !closed_) {
      uint64_t handle = next_waiter_++;
      waiters_.emplace(handle, std::make_pair(from, std::move(wake)));
      return handle;
    }
  }
  wake();
  return 0;
}

void EventLog::Unwait(uint64_t handle) {
  std::lock_guard lock(mu_);
  waiters_.erase(handle);
}

size_t EventLog::size() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

std::shared_ptr<ResponseStream> MakeEventStream(std::shared_ptr<EventLog> log, size_t from) {
  return std::make_shared<EventStream>(std::move(log), from);
}

// ---- JSON ----

std::string ImportJobJson(const ImportJob& job, bool with_preview) {
  JsonOut out;
  out.StartObject();
  out.Key("id").String(job.id);
  out.Key("project").String(job.project);
  out.Key("name").String(job.name);
  out.Key("filename").String(job.filename);
  out.Key("uploadedBytes").Int(static_cast<int64_t>(job.uploaded_bytes));
  WriteProgressFields(out, job);
  const bool planned = !job.plan.tables.empty();
  out.Key("format");
  planned ? out.String(importer::FormatName(job.plan.format)) : out.Null();
  out.Key("csv");
  if (planned && (job.plan.format == importer::FileFormat::kCsv ||
                  job.plan.format == importer::FileFormat::kTsv)) {
    const importer::CsvDialect& d = job.plan.csv;
    out.StartObject();
    out.Key("delimiter").String(d.delimiter);
    out.Key("quote").String(d.quote);
    out.Key("escape").String(d.escape);
    out.Key("header").Bool(d.header);
    out.Key("encoding").String(d.encoding);
    out.Key("skipRows").Int(d.skip_rows);
    out.EndObject();
  } else {
    out.Null();
  }
  out.Key("onError").String(job.plan.on_error == importer::OnError::kSkip ? "skip" : "fail");
  out.Key("target");
  job.target.empty() ? out.Null() : out.String(job.target);
  out.Key("tables").StartArray();
  for (size_t i = 0; i < job.plan.tables.size(); ++i) {
    const importer::TablePlan& t = job.plan.tables[i];
    out.StartObject();
    out.Key("name").String(t.name);
    out.Key("sheet");
    t.sheet.empty() ? out.Null() : out.String(t.sheet);
    out.Key("estimatedRows");
    t.estimated_rows ? out.Int(static_cast<int64_t>(*t.estimated_rows)) : out.Null();
    out.Key("estimateExact").Bool(t.estimate_exact);
    out.Key("columns").StartArray();
    for (const auto& c : t.columns) {
      out.StartObject();
      out.Key("sourceName").String(c.source_name);
      out.Key("name").String(c.name);
      out.Key("type").String(c.type);
      out.EndObject();
    }
    out.EndArray();
    if (with_preview && i < job.previews.size()) {
      const importer::TablePreview& p = job.previews[i];
      out.Key("preview").StartObject();
      out.Key("rows").StartArray();
      for (const auto& row : p.rows) {
        out.StartArray();
        for (const auto& value : row) value ? out.String(*value) : out.Null();
        out.EndArray();
      }
      out.EndArray();
      out.Key("badRows").Int(static_cast<int64_t>(p.bad_rows));
      out.EndObject();
    }
    out.EndObject();
  }
  out.EndArray();
  out.Key("fitsDatasets").StartArray();
  for (const auto& d : job.fits_datasets) out.String(d);
  out.EndArray();
  out.Key("datasets").StartArray();
  for (const auto& d : job.bind_datasets) out.String(d);
  out.EndArray();
  out.Key("rejectedRows").Int(static_cast<int64_t>(job.rejected_rows));
  WriteRejects(out, job.rejects);
  WriteError(out, job.error);
  out.Key("createdAt").String(IsoOf(job.created));
  out.Key("finishedAt");
  job.finished ? out.String(IsoOf(*job.finished)) : out.Null();
  out.EndObject();
  return out.Take();
}

// ---- ImportManager ----

Result<std::shared_ptr<ImportManager>> ImportManager::Create(const ImportsConfig& config) {
  TRIB_ASSIGN_OR_RETURN(std::unique_ptr<importer::ImportCatalog> catalog,
                        importer::ImportCatalog::Open(config.dir));
  std::error_code ec;
  const fs::path uploads = fs::path(config.dir) / "uploads";
  fs::create_directories(uploads, ec);
  if (ec) {
    return Unavailable("cannot create the upload folder '" + uploads.string() +
                       "': " + ec.message() + "; make imports.dir writable or set imports.dir");
  }
  // Uploads of a previous run that never became imports.
  for (const auto& file : fs::directory_iterator(uploads, ec)) {
    if (file.path().extension() == ".upload") fs::remove(file.path(), ec);
  }
  std::shared_ptr<ImportManager> manager(new ImportManager(config, std::move(catalog)));
  return manager;
}

ImportManager::ImportManager(ImportsConfig config, std::unique_ptr<importer::ImportCatalog> catalog)
    : config_(std::move(config)), catalog_(std::move(catalog)) {
  const auto threads = static_cast<size_t>(std::max<int64_t>(1, config_.max_concurrent));
  for (size_t i = 0; i < threads; ++i) runners_.emplace_back([this] { RunLoop(); });
}

ImportManager::~ImportManager() {
  std::vector<std::shared_ptr<ImportJob>> jobs;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, job] : jobs_) jobs.push_back(job);
  }
  for (auto& job : jobs) job->cancel.Cancel("the server is shutting down");
  cv_.notify_all();
  for (auto& t : runners_) t.join();
  // Queued and unconfirmed jobs never ran: their uploads go, and so do their entries.
  for (auto& job : jobs) {
    std::unique_lock lock(job->mu);
    if (!IsFinished(job->status)) {
      lock.unlock();
      Fail(job, Cancelled("the server is shutting down"));
    }
  }
}

Config ImportManager::WithImports(const Config& base) const {
  Config config = base;
  Result<std::vector<importer::CatalogEntry>> entries = catalog_->List();
  if (!entries.ok()) {
    spdlog::error("imports are not served: {}", entries.status().ToString());
    return config;
  }
  bool changed = false;
  for (const auto& entry : *entries) {
    if (entry.status != "ready" || entry.kind != "parquet") continue;
    auto project = std::find_if(config.projects.begin(), config.projects.end(),
                                [&](const ProjectConfig& p) { return p.id == entry.project; });
    if (project == config.projects.end()) {
      spdlog::warn("import '{}' ({}) is not served: its project '{}' is not in the config",
                   entry.name, entry.id, entry.project);
      continue;
    }
    if (config.FindSource(entry.name)) {
      spdlog::warn("import '{}' ({}) is not served: the config now has a source of that name",
                   entry.name, entry.id);
      continue;
    }
    const SourceLocation where{"<import " + entry.id + ">", 0, 0};
    SourceConfig source{entry.name, "duckdb", {}, where};
    std::map<std::string, std::string> tables;
    for (const auto& t : entry.tables) tables[t.name] = t.location;
    source.options.Set("tables", {OptionValue(std::move(tables)), where, false});
    // An import is one or a few files: two connections serve it, and they share its data.
    source.options.Set("max_connections", {OptionValue(int64_t{2}), where, false});
    source.import_id = entry.id;
    config.sources.push_back(std::move(source));
    project->sources.push_back(entry.name);
    // A bound dataset is served by the import next to the project's own sources (a metric
    // then fans out over all of them and merges).
    for (const auto& dataset : entry.datasets) {
      if (entry.tables.empty()) break;
      DatasetBinding binding;
      binding.name = dataset;
      binding.source = entry.name;
      binding.table = entry.tables.front().name;
      binding.location = where;
      project->datasets[dataset].push_back(std::move(binding));
    }
    changed = true;
  }
  if (changed) config.fingerprint = config_internal::ComputeFingerprint(config);
  return config;
}

Status ImportManager::NameProblem(const Config& config, const std::string& project,
                                  const std::string& name, const std::string& job_id) {
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      })) {
    return InvalidArgument("invalid import name '" + name +
                           "'; use 1 to 64 letters, digits, '_' or '-' (it becomes the "
                           "source id)");
  }
  if (config.FindSource(name)) {
    return AlreadyExists("a source named '" + name +
                         "' exists already; choose another name for the import");
  }
  TRIB_ASSIGN_OR_RETURN(std::optional<importer::CatalogEntry> existing, catalog_->FindByName(name));
  if (existing && existing->id != job_id) {
    return AlreadyExists("an import named '" + name + "' exists already" +
                         (existing->project == project ? "" : " (in another project)") +
                         "; choose another name, or delete it first with DELETE "
                         "/api/v1/sources/" +
                         name);
  }
  std::lock_guard lock(mu_);
  for (const auto& [id, job] : jobs_) {
    if (id == job_id) continue;
    std::lock_guard job_lock(job->mu);
    if (job->name == name && !IsFinished(job->status)) {
      return AlreadyExists("another import named '" + name +
                           "' is in progress; choose another name");
    }
  }
  return Status::Ok();
}

Result<std::shared_ptr<ImportJob>> ImportManager::BeginUpload(const std::string& project,
                                                              UploadPlan* plan) {
  Forget();
  auto job = std::make_shared<ImportJob>();
  job->id = importer::NewImportId();
  job->project = project;
  job->created = std::chrono::system_clock::now();
  job->upload_path = (fs::path(config_.dir) / "uploads" / (job->id + ".upload")).string();
  plan->path = job->upload_path;
  plan->max_bytes = static_cast<uint64_t>(config_.max_upload_bytes);
  plan->max_bytes_setting = "imports.max_upload_bytes";
  plan->min_free_bytes_setting = "imports.min_free_bytes";
  plan->min_free_bytes = static_cast<uint64_t>(config_.min_free_bytes);
  std::weak_ptr<ImportJob> weak = job;
  plan->on_progress = [weak](uint64_t stored, uint64_t expected) {
    auto job = weak.lock();
    if (!job) return;
    std::string data;
    {
      std::lock_guard lock(job->mu);
      job->uploaded_bytes = stored;
      if (expected > 0) job->expected_bytes = expected;
      job->progress.bytes_processed = stored;
      job->progress.percent = job->expected_bytes > 0 ? 100.0 * static_cast<double>(stored) /
                                                            static_cast<double>(job->expected_bytes)
                                                      : 0;
      auto now = std::chrono::steady_clock::now();
      const bool done = job->expected_bytes > 0 && stored >= job->expected_bytes;
      if (!done && now - job->last_upload_event < kProgressEventInterval) return;
      job->last_upload_event = now;
      JsonOut out;
      out.StartObject();
      WriteProgressFields(out, *job);
      out.EndObject();
      data = out.Take();
    }
    job->events->Publish("progress", data);
  };
  // The server may end an upload after the manager is gone (at shutdown).
  plan->on_abort = [manager = weak_from_this(), weak](const Status& why) {
    auto self = manager.lock();
    auto job = weak.lock();
    if (self && job) self->Fail(job, why);
  };
  std::lock_guard lock(mu_);
  jobs_[job->id] = job;
  return job;
}

Status ImportManager::FinishUpload(const std::shared_ptr<ImportJob>& job, const Runtime& runtime,
                                   std::string filename, std::string name,
                                   const importer::SniffHints& hints) {
  const Config& config = runtime.config();
  {
    std::lock_guard lock(job->mu);
    job->filename = filename.empty() ? "upload" : filename;
    job->phase = "parsing";
    job->progress = {};
    job->progress.phase = "parsing";
  }
  PublishProgress(job);
  const bool named = !name.empty();
  if (!named) name = NameFromFilename(job->filename);
  Status name_ok = NameProblem(config, job->project, name, job->id);
  if (!named && name_ok.code() == ErrorCode::kAlreadyExists) {
    // A name taken from the file name may get a suffix; a name the client chose may not.
    for (int i = 2; i < 1000 && name_ok.code() == ErrorCode::kAlreadyExists; ++i) {
      std::string candidate = name;
      candidate.append("_").append(std::to_string(i));
      name_ok = NameProblem(config, job->project, candidate, job->id);
      if (name_ok.ok()) name = candidate;
    }
  }
  if (!name_ok.ok()) {
    Fail(job, name_ok);
    return name_ok;
  }
  {
    std::lock_guard lock(job->mu);
    job->name = name;
  }
  importer::SniffHints with_name = hints;
  if (with_name.table_name.empty()) with_name.table_name = name;
  Status st = Resniff(job, with_name, &runtime);
  if (!st.ok()) Fail(job, st);
  return st;
}

Status ImportManager::Resniff(const std::shared_ptr<ImportJob>& job,
                              const importer::SniffHints& hints, const Runtime* runtime) {
  std::string path;
  std::string filename;
  {
    std::lock_guard lock(job->mu);
    if (job->status != ImportJob::Status::kUploading &&
        job->status != ImportJob::Status::kAwaitingConfirmation) {
      return FailedPrecondition("import " + job->id + " is " +
                                std::string(ImportStatusName(job->status)) +
                                "; its file can only be read again before it is confirmed");
    }
    path = job->upload_path;
    filename = job->filename;
  }
  importer::SniffHints with_name = hints;
  if (with_name.table_name.empty()) {
    std::lock_guard lock(job->mu);
    with_name.table_name = job->name;
  }
  TRIB_ASSIGN_OR_RETURN(importer::ImportPlan plan, importer::Sniff(path, filename, with_name));
  TRIB_ASSIGN_OR_RETURN(std::vector<importer::TablePreview> previews,
                        importer::PreviewFile(path, plan, 100));
  {
    std::lock_guard lock(job->mu);
    job->fits_datasets = FittingDatasets(runtime, plan.tables);
    job->plan = std::move(plan);
    job->previews = std::move(previews);
    job->status = ImportJob::Status::kAwaitingConfirmation;
    job->progress.percent = 0;
    if (!job->plan.tables.empty() && job->plan.tables.front().estimated_rows) {
      uint64_t total = 0;
      for (const auto& t : job->plan.tables) total += t.estimated_rows.value_or(0);
      job->progress.total_rows = total;
    }
  }
  PublishProgress(job);
  return Status::Ok();
}

Status ImportManager::Confirm(const std::shared_ptr<ImportJob>& job, const Config& config,
                              const ImportConfirmation& confirmation) {
  std::string name;
  importer::ImportPlan plan;
  std::string path;
  {
    std::lock_guard lock(job->mu);
    if (job->status != ImportJob::Status::kAwaitingConfirmation) {
      return FailedPrecondition("import " + job->id + " is " +
                                std::string(ImportStatusName(job->status)) +
                                "; only an import awaiting confirmation can be confirmed");
    }
    name = confirmation.name.value_or(job->name);
    plan = job->plan;
    path = job->upload_path;
  }
  TRIB_RETURN_IF_ERROR(NameProblem(config, job->project, name, job->id));
  if (confirmation.on_error) plan.on_error = *confirmation.on_error;
  if (confirmation.tables) {
    std::vector<importer::TablePlan> chosen;
    for (size_t i = 0; i < confirmation.tables->size(); ++i) {
      const importer::TablePlan& edit = (*confirmation.tables)[i];
      // A table is matched by its sheet when it has one, else by position.
      auto original =
          std::find_if(plan.tables.begin(), plan.tables.end(), [&](const importer::TablePlan& t) {
            return !edit.sheet.empty() && t.sheet == edit.sheet;
          });
      if (original == plan.tables.end()) {
        if (!edit.sheet.empty() || i >= plan.tables.size()) {
          return InvalidArgument("tables[" + std::to_string(i) + "]" +
                                 (edit.sheet.empty() ? "" : " (sheet '" + edit.sheet + "')") +
                                 " matches no table of the preview; send the preview's tables "
                                 "with your edits");
        }
        original = plan.tables.begin() + static_cast<std::ptrdiff_t>(i);
      }
      importer::TablePlan table = *original;
      if (!edit.name.empty()) table.name = edit.name;
      if (!edit.columns.empty()) {
        if (edit.columns.size() != original->columns.size()) {
          return InvalidArgument("tables[" + std::to_string(i) + "].columns has " +
                                 std::to_string(edit.columns.size()) + " columns, the file " +
                                 std::to_string(original->columns.size()) +
                                 "; send every column in the preview's order");
        }
        std::set<std::string> seen;
        for (size_t c = 0; c < edit.columns.size(); ++c) {
          importer::ColumnSpec column = original->columns[c];
          const importer::ColumnSpec& e = edit.columns[c];
          if (!e.name.empty()) column.name = e.name;
          if (!e.type.empty()) column.type = e.type;
          if (importer::SanitizeIdentifier(column.name) != column.name) {
            return InvalidArgument("tables[" + std::to_string(i) + "].columns[" +
                                   std::to_string(c) + "].name '" + column.name +
                                   "' is not a valid column name; use letters, digits and '_' "
                                   "(e.g. '" +
                                   importer::SanitizeIdentifier(column.name) + "')");
          }
          if (!seen.insert(AsciiLower(column.name)).second) {
            return InvalidArgument("tables[" + std::to_string(i) + "]: the column name '" +
                                   column.name + "' is used twice; column names must differ");
          }
          table.columns[c] = std::move(column);
        }
      }
      if (importer::SanitizeIdentifier(table.name) != table.name) {
        return InvalidArgument("tables[" + std::to_string(i) + "].name '" + table.name +
                               "' is not a valid table name; use letters, digits and '_'");
      }
      chosen.push_back(std::move(table));
    }
    if (chosen.empty()) {
      return InvalidArgument(
          "tables is empty: there would be nothing to import; send at least "
          "one table of the preview");
    }
    plan.tables = std::move(chosen);
  }
  std::string target;
  if (confirmation.target && !confirmation.target->empty()) {
    target = *confirmation.target;
    const SourceConfig* source = config.FindSource(target);
    const ProjectConfig* project = config.FindProject(job->project);
    if (!source || !project ||
        std::find(project->sources.begin(), project->sources.end(), target) ==
            project->sources.end()) {
      return NotFound("target '" + target + "' is not a source of project '" + job->project +
                      "'; name one of its PostgreSQL or ClickHouse sources with import_target");
    }
    if (!source->import_target) {
      return InvalidArgument("source '" + target +
                             "' is not an import target; add import_target: {user, password} "
                             "to it in the config (docs/import.md)");
    }
    if (!confirmation.datasets.empty()) {
      return InvalidArgument(
          "datasets can only be bound to local imports, not to rows loaded "
          "into target '" +
          target + "'; bind them in the config instead");
    }
  }
  // The edits are tried on the preview's rows now, so a wrong type fails here and not after
  // minutes of converting.
  Result<std::vector<importer::TablePreview>> tried = importer::PreviewFile(path, plan, 100);
  if (!tried.ok()) return tried.status();
  if (plan.on_error == importer::OnError::kFail) {
    for (const auto& preview : *tried) {
      if (preview.bad_rows > 0) {
        return InvalidArgument("table '" + preview.name + "': " + std::to_string(preview.bad_rows) +
                               " of the first rows do not fit the chosen types; change the "
                               "types, or import with onError: skip");
      }
    }
  }
  for (const auto& dataset : confirmation.datasets) {
    std::lock_guard lock(job->mu);
    if (std::find(job->fits_datasets.begin(), job->fits_datasets.end(), dataset) ==
        job->fits_datasets.end()) {
      return InvalidArgument("the import does not fit dataset '" + dataset +
                             "': its columns lack some of the dataset's; see fitsDatasets");
    }
  }
  importer::CatalogEntry entry;
  entry.id = job->id;
  entry.project = job->project;
  entry.name = name;
  entry.kind = target.empty() ? std::string("parquet") : config.FindSource(target)->type;
  entry.target_source = target;
  entry.format = std::string(importer::FormatName(plan.format));
  entry.status = "importing";
  entry.created_ms = MillisOf(job->created);
  entry.updated_ms = MillisOf(std::chrono::system_clock::now());
  entry.last_accessed_ms = entry.updated_ms;
  entry.datasets = confirmation.datasets;
  {
    std::lock_guard lock(job->mu);
    entry.filename = job->filename;
    job->name = name;
    job->plan = std::move(plan);
    job->previews = std::move(tried).value();
    job->target = target;
    job->target_source =
        target.empty() ? nullptr : std::make_shared<SourceConfig>(*config.FindSource(target));
    job->bind_datasets = confirmation.datasets;
    job->status = ImportJob::Status::kQueued;
    job->phase = "parsing";
  }
  TRIB_RETURN_IF_ERROR(catalog_->Put(entry));
  {
    std::lock_guard lock(mu_);
    queue_.push_back(job);
  }
  cv_.notify_one();
  PublishProgress(job);
  return Status::Ok();
}

Status ImportManager::Cancel(const std::shared_ptr<ImportJob>& job) {
  ImportJob::Status status;
  {
    std::lock_guard lock(job->mu);
    status = job->status;
  }
  switch (status) {
    case ImportJob::Status::kUploading:
      return FailedPrecondition("import " + job->id +
                                " is still uploading; close the upload's connection to stop it");
    case ImportJob::Status::kAwaitingConfirmation:
    case ImportJob::Status::kQueued: {
      {
        std::lock_guard lock(mu_);
        queue_.erase(std::remove(queue_.begin(), queue_.end(), job), queue_.end());
      }
      Fail(job, Cancelled("cancelled by the client"));
      return Status::Ok();
    }
    case ImportJob::Status::kImporting:
      job->cancel.Cancel("cancelled by the client");
      return Status::Ok();
    default:
      return FailedPrecondition("import " + job->id + " is already " +
                                std::string(ImportStatusName(status)) +
                                "; to remove an imported source use DELETE /api/v1/sources/{id}");
  }
}

std::shared_ptr<ImportJob> ImportManager::Find(const std::string& id) {
  Forget();
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<ImportJob>> ImportManager::Jobs() {
  Forget();
  std::vector<std::shared_ptr<ImportJob>> out;
  std::lock_guard lock(mu_);
  for (auto& [id, job] : jobs_) out.push_back(job);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a->created < b->created; });
  return out;
}

std::shared_ptr<ImportJob> ImportManager::JobOfEntry(const std::string& entry_id) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(entry_id);
  return it == jobs_.end() ? nullptr : it->second;
}

Status ImportManager::RemoveSource(const std::string& entry_id) {
  if (auto job = JobOfEntry(entry_id)) {
    std::lock_guard lock(job->mu);
    if (job->status == ImportJob::Status::kQueued || job->status == ImportJob::Status::kImporting) {
      return FailedPrecondition("import " + entry_id +
                                " is still running; cancel it with DELETE /api/v1/imports/" +
                                entry_id);
    }
  }
  TRIB_RETURN_IF_ERROR(catalog_->Remove(entry_id));
  if (catalog_changed_) return catalog_changed_();
  return Status::Ok();
}

void ImportManager::Refresh(const std::string& entry_id) {
  Result<std::optional<importer::CatalogEntry>> found = catalog_->Get(entry_id);
  if (!found.ok() || !*found || (*found)->kind != "parquet" || (*found)->status != "ready") return;
  importer::CatalogEntry entry = **found;
  entry.size_bytes = 0;
  entry.row_count = 0;
  for (auto& table : entry.tables) {
    Result<std::pair<uint64_t, uint64_t>> stats = importer::ParquetSizeAndRows({table.location});
    // A file deleted with its entry is reported too: nothing to update then.
    if (!stats.ok()) return;
    table.bytes = stats->first;
    table.rows = stats->second;
    entry.size_bytes += table.bytes;
    entry.row_count += table.rows;
  }
  entry.updated_ms = MillisOf(std::chrono::system_clock::now());
  if (Status st = catalog_->Put(entry); !st.ok()) {
    spdlog::warn("import {}: size and rows not refreshed: {}", entry_id, st.message());
    return;
  }
  spdlog::info("import {} ('{}') changed on disk: {} rows, {} bytes", entry_id, entry.name,
               entry.row_count, entry.size_bytes);
}

void ImportManager::Touch(const std::string& entry_id) {
  Status st = catalog_->Touch(entry_id, MillisOf(std::chrono::system_clock::now()));
  if (!st.ok()) spdlog::debug("import {}: last access not recorded: {}", entry_id, st.message());
}

void ImportManager::Forget() {
  const auto keep = std::chrono::seconds(config_.keep_finished_seconds);
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(mu_);
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    bool old = false;
    {
      std::lock_guard job_lock(it->second->mu);
      old = it->second->finished && now - *it->second->finished > keep;
    }
    it = old ? jobs_.erase(it) : std::next(it);
  }
}

void ImportManager::PublishProgress(const std::shared_ptr<ImportJob>& job) {
  std::string data;
  {
    std::lock_guard lock(job->mu);
    JsonOut out;
    out.StartObject();
    WriteProgressFields(out, *job);
    out.EndObject();
    data = out.Take();
  }
  job->events->Publish("progress", data);
}

void ImportManager::Fail(const std::shared_ptr<ImportJob>& job, const Status& why) {
  std::string upload;
  {
    std::lock_guard lock(job->mu);
    if (IsFinished(job->status)) return;
    job->status = why.code() == ErrorCode::kCancelled ? ImportJob::Status::kCancelled
                                                      : ImportJob::Status::kError;
    job->phase = "error";
    job->error = why;
    job->eta_seconds.reset();
    job->finished = std::chrono::system_clock::now();
    upload = job->upload_path;
  }
  std::error_code ec;
  fs::remove(upload, ec);
  // Whatever the conversion made goes with the entry; nothing is half registered.
  Result<std::optional<importer::CatalogEntry>> entry = catalog_->Get(job->id);
  if (entry.ok() && *entry) {
    Status removed = catalog_->Remove(job->id);
    if (!removed.ok()) spdlog::error("import {}: cleanup failed: {}", job->id, removed.message());
  }
  spdlog::info("import {} ({}) ended: {}", job->id, job->project, why.ToString());
  std::string data;
  {
    std::lock_guard lock(job->mu);
    JsonOut out;
    out.StartObject();
    WriteProgressFields(out, *job);
    WriteError(out, job->error);
    out.EndObject();
    data = out.Take();
  }
  job->events->Publish("error", data, /*final=*/true);
}

void ImportManager::RunLoop() {
  while (true) {
    std::shared_ptr<ImportJob> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
    }
    Run(job);
  }
}

void ImportManager::Run(const std::shared_ptr<ImportJob>& job) {
  {
    std::lock_guard lock(job->mu);
    if (job->status != ImportJob::Status::kQueued) return;
    job->status = ImportJob::Status::kImporting;
    job->phase = "converting";
    job->started = std::chrono::steady_clock::now();
  }
  PublishProgress(job);
  Result<std::optional<importer::CatalogEntry>> found = catalog_->Get(job->id);
  Status st = found.ok() ? Status::Ok() : found.status();
  if (st.ok() && !*found) st = Internal("the catalog entry of import " + job->id + " vanished");
  importer::CatalogEntry entry;
  if (st.ok()) {
    entry = **found;
    st = Convert(job, entry);
  }
  if (st.ok() && job->cancel.cancelled()) st = Cancelled(job->cancel.reason());
  if (st.ok()) {
    entry.status = "ready";
    entry.updated_ms = MillisOf(std::chrono::system_clock::now());
    st = catalog_->Put(entry);
  }
  if (st.ok() && catalog_changed_) st = catalog_changed_();
  if (!st.ok()) {
    Fail(job, st);
    return;
  }
  std::string upload;
  std::string data;
  {
    std::lock_guard lock(job->mu);
    job->status = ImportJob::Status::kReady;
    job->phase = "complete";
    job->progress.percent = 100;
    job->progress.total_rows = entry.row_count;
    job->progress.rows_processed = entry.row_count;
    job->progress.total_exact = true;
    job->eta_seconds = 0;
    job->finished = std::chrono::system_clock::now();
    upload = job->upload_path;
    JsonOut out;
    out.StartObject();
    WriteProgressFields(out, *job);
    out.Key("source").String(entry.name);
    out.Key("rows").Int(static_cast<int64_t>(entry.row_count));
    out.Key("rejectedRows").Int(static_cast<int64_t>(job->rejected_rows));
    out.EndObject();
    data = out.Take();
  }
  std::error_code ec;
  fs::remove(upload, ec);
  spdlog::info("import {} ({}): source '{}' ready, {} rows in {} table(s), {} bytes", job->id,
               job->project, entry.name, entry.row_count, entry.tables.size(), entry.size_bytes);
  job->events->Publish("complete", data, /*final=*/true);
}

Status ImportManager::Convert(const std::shared_ptr<ImportJob>& job,
                              importer::CatalogEntry& entry) {
  importer::ImportPlan plan;
  std::string upload;
  {
    std::lock_guard lock(job->mu);
    plan = job->plan;
    upload = job->upload_path;
  }
  const std::string out_dir = catalog_->EntryDir(job->id);
  if (auto free = FreeDiskBytes(config_.dir);
      free && *free < static_cast<uint64_t>(config_.min_free_bytes)) {
    return InsufficientStorage("only " + std::to_string(*free) + " bytes are free in " +
                               config_.dir + " (imports.min_free_bytes is " +
                               std::to_string(config_.min_free_bytes) +
                               "); free some space or delete imports");
  }
  std::shared_ptr<const SourceConfig> target;
  {
    std::lock_guard lock(job->mu);
    target = job->target_source;
  }
  auto last_event = std::chrono::steady_clock::time_point{};
  std::string last_phase;
  importer::ProgressFn progress = [&](const importer::Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(job->mu);
      job->progress = p;
      job->phase = p.phase.empty() ? "converting" : p.phase;
      if (job->started && p.percent > 0.5) {
        double elapsed = std::chrono::duration<double>(now - *job->started).count();
        job->eta_seconds = std::max(0.0, elapsed * (100.0 - p.percent) / p.percent);
      }
      if (p.phase == last_phase && now - last_event < kProgressEventInterval) return;
      last_phase = p.phase;
      last_event = now;
    }
    PublishProgress(job);
  };
  Result<importer::ConvertResult> result =
      target ? LoadIntoTarget(*target, upload, plan, out_dir, progress, job->cancel)
             : importer::ConvertToParquet(upload, plan, out_dir, progress, job->cancel);
  if (!result.ok()) return result.status();
  entry.tables.clear();
  entry.size_bytes = 0;
  entry.row_count = 0;
  for (const auto& t : result->tables) {
    importer::CatalogTable table;
    table.name = t.name;
    table.location = t.location;
    table.rows = t.rows;
    table.bytes = t.bytes;
    for (const auto& c : t.columns) table.columns.push_back({c.name, c.type});
    entry.size_bytes += t.bytes;
    entry.row_count += t.rows;
    entry.tables.push_back(std::move(table));
  }
  std::lock_guard lock(job->mu);
  job->rejected_rows = result->rejected_rows;
  job->rejects = result->rejects;
  if (job->rejects.size() > kMaxRejectSamples) job->rejects.resize(kMaxRejectSamples);
  return Status::Ok();
}

}  // namespace tributary
