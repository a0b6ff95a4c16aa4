// ImportManager: the import jobs behind the import routes (docs/import.md), and the catalog of
// imported sources they register into.
//
// A job lives through: uploading (the server streams the body to a file) -> parsing (sniff and
// preview) -> awaiting_confirmation -> queued -> importing (converting, writing) -> ready, or
// error, or cancelled. Each step publishes an event to the job's EventLog, which any number of
// Server-Sent-Event streams replay and follow. Conversions run on the manager's own threads
// (imports.max_concurrent), never on the request workers. A job that does not finish leaves
// nothing behind: its upload and partial files are deleted and no source is registered.
//
// The catalog is the truth about imported sources: WithImports() adds its ready entries to a
// config as DuckDB sources of their owning project, and every change calls the
// CatalogChanged hook, with which the server swaps in a runtime built that way.
// Thread-safety: every method is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "config/config.h"
#include "importer/catalog.h"
#include "importer/importer.h"
#include "server/streaming.h"

namespace tributary {

class Runtime;

//! The events of one job, kept for replay, with the streams waiting for the next one.
class EventLog {
 public:
  //! Appends an SSE event (`event:` name, `data:` one JSON line) with the next id.
  void Publish(std::string_view event, std::string_view json_data, bool final = false);
  //! Events from index `from` on (concatenated SSE text) and the index after them; empty text
  //! when there is nothing new. `closed` is set once the final event is among them or before.
  std::string Since(size_t from, size_t* next, bool* closed) const;
  //! Calls `wake` once the next event arrives (or at once when one already did or the log is
  //! closed). Returns a handle for Unwait.
  uint64_t Wait(size_t from, std::function<void()> wake);
  void Unwait(uint64_t handle);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> events_;
  bool closed_ = false;
  uint64_t next_waiter_ = 1;
  std::map<uint64_t, std::pair<size_t, std::function<void()>>> waiters_;
};

//! One import: its plan, state and events.
struct ImportJob {
  enum class Status {
    kUploading,
    kAwaitingConfirmation,
    kQueued,
    kImporting,
    kReady,
    kError,
    kCancelled
  };

  // Set at creation, then constant.
  std::string id;
  std::string project;
  std::chrono::system_clock::time_point created;
  std::shared_ptr<EventLog> events = std::make_shared<EventLog>();
  CancelToken cancel;

  mutable std::mutex mu;
  // Guarded by mu.
  Status status = Status::kUploading;
  std::string phase = "uploading";
  std::string name;
  std::string filename;
  std::string upload_path;
  uint64_t uploaded_bytes = 0;
  uint64_t expected_bytes = 0;
  importer::ImportPlan plan;
  std::vector<importer::TablePreview> previews;
  std::vector<std::string> fits_datasets;
  std::vector<std::string> bind_datasets;
  std::string target;
  //! The target source's settings as confirmed (a reload may change the config meanwhile).
  std::shared_ptr<const SourceConfig> target_source;
  importer::Progress progress;
  std::optional<std::chrono::steady_clock::time_point> started;
  std::optional<double> eta_seconds;
  uint64_t rejected_rows = 0;
  std::vector<importer::Reject> rejects;
  ::tributary::Status error = ::tributary::Status::Ok();
  std::optional<std::chrono::system_clock::time_point> finished;
  std::chrono::steady_clock::time_point last_upload_event{};
};

//! "uploading", "awaiting_confirmation", ... as the API spells them.
std::string_view ImportStatusName(ImportJob::Status status);

//! What the client may change when it confirms (docs/import.md, POST .../confirm).
struct ImportConfirmation {
  std::optional<std::string> name;
  std::optional<importer::OnError> on_error;
  std::optional<std::string> target;
  //! Replaces the plan's tables when set (validated against the preview's).
  std::optional<std::vector<importer::TablePlan>> tables;
  std::vector<std::string> datasets;
};

class ImportManager : public std::enable_shared_from_this<ImportManager> {
 public:
  //! Rebuilds the serving runtime from the config file and the catalog; blocks.
  using CatalogChanged = std::function<::tributary::Status()>;

  //! Opens the catalog in config.dir (recovering from an interrupted run) and starts the
  //! conversion threads. UNAVAILABLE when the folder cannot be used.
  static Result<std::shared_ptr<ImportManager>> Create(const ImportsConfig& config);
  ~ImportManager();
  ImportManager(const ImportManager&) = delete;
  ImportManager& operator=(const ImportManager&) = delete;

  //! Set once, before serving.
  void SetCatalogChanged(CatalogChanged hook) { catalog_changed_ = std::move(hook); }
  //! The settings of the config the manager was made from (a reload does not move the folder).
  const ImportsConfig& config() const { return config_; }
  importer::ImportCatalog& catalog() { return *catalog_; }

  //! `base` plus the catalog's ready local imports as DuckDB sources of their projects (and
  //! their dataset bindings). Entries whose project no longer exists are left out.
  Config WithImports(const Config& base) const;

  //! Starts a job for an upload about to be streamed (the server checks the size and the free
  //! space against the plan); the plan's path is where the body goes, and its progress
  //! callback (which knows the Content-Length) feeds the job's upload events.
  Result<std::shared_ptr<ImportJob>> BeginUpload(const std::string& project, UploadPlan* plan);
  //! The upload is stored: sniffs it with `hints` and makes the preview. `name` (may be empty:
  //! from the file name) must not be taken by another source. On error the job ends in error
  //! and its upload is deleted.
  ::tributary::Status FinishUpload(const std::shared_ptr<ImportJob>& job, const Runtime& runtime,
                                   std::string filename, std::string name,
                                   const importer::SniffHints& hints);
  //! Sniffs the upload again with other hints (before confirmation); `runtime` (may be null)
  //! gives the packs whose datasets the columns may fit.
  ::tributary::Status Resniff(const std::shared_ptr<ImportJob>& job,
                              const importer::SniffHints& hints, const Runtime* runtime);
  //! Queues the conversion with the client's edits.
  ::tributary::Status Confirm(const std::shared_ptr<ImportJob>& job, const Config& config,
                              const ImportConfirmation& confirmation);
  //! Cancels a queued or running job, or discards one awaiting confirmation.
  ::tributary::Status Cancel(const std::shared_ptr<ImportJob>& job);

  //! The job `id`, also when finished within keep_finished_seconds; null when unknown.
  std::shared_ptr<ImportJob> Find(const std::string& id);
  std::vector<std::shared_ptr<ImportJob>> Jobs();
  //! The running job of a catalog entry, if any (for its progress in source listings).
  std::shared_ptr<ImportJob> JobOfEntry(const std::string& entry_id);

  //! Deletes an imported source (its catalog entry and files) and rebuilds the runtime.
  ::tributary::Status RemoveSource(const std::string& entry_id);
  //! Updates an entry's size and rows from its files (after they changed on disk).
  void Refresh(const std::string& entry_id);
  //! Records a read of an imported source.
  void Touch(const std::string& entry_id);

 private:
  ImportManager(ImportsConfig config, std::unique_ptr<importer::ImportCatalog> catalog);
  void RunLoop();
  void Run(const std::shared_ptr<ImportJob>& job);
  ::tributary::Status Convert(const std::shared_ptr<ImportJob>& job, importer::CatalogEntry& entry);
  void Fail(const std::shared_ptr<ImportJob>& job, const ::tributary::Status& why);
  void PublishProgress(const std::shared_ptr<ImportJob>& job);
  void Forget();
  ::tributary::Status NameProblem(const Config& config, const std::string& project,
                                  const std::string& name, const std::string& job_id);

  ImportsConfig config_;
  std::unique_ptr<importer::ImportCatalog> catalog_;
  CatalogChanged catalog_changed_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<ImportJob>> jobs_;
  std::deque<std::shared_ptr<ImportJob>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> runners_;
};

//! A ResponseStream of a job's events (SSE), from event index `from` on.
std::shared_ptr<ResponseStream> MakeEventStream(std::shared_ptr<EventLog> log, size_t from);

//! The import object of docs/import.md as JSON.
std::string ImportJobJson(const ImportJob& job, bool with_preview);

}  // namespace tributary
