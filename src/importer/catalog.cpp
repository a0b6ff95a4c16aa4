#include "importer/catalog.h"

#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <system_error>
#include <utility>

namespace tributary::importer {

namespace fs = std::filesystem;

namespace {

constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 5000;
constexpr const char* kCatalogFile = "catalog.sqlite";
constexpr const char* kInterrupted = "interrupted by a restart; import the file again";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Lower(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// The reason for an errno, in lower case ("permission denied").
std::string ErrnoText(int err) {
  return Lower(std::strerror(err));
}

// What to do about a file-system error on the catalog's folder or file.
std::string HowToFix(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
    case EROFS:
      return "make imports.dir writable by the user running Tributary or set imports.dir to "
             "another folder";
    case ENOSPC:
    case EDQUOT:
      return "free space on the file system of imports.dir or set imports.dir to another "
             "folder";
    case ENOTDIR:
    case EEXIST:
      return "a path component is a file, not a folder: fix imports.dir";
    default:
      return "check imports.dir (it must be a writable folder)";
  }
}

// True for ids that are safe as a folder name inside the catalog's folder:
// "imp_" followed by 1-64 letters, digits, '_' or '-'.
bool IsValidId(std::string_view id) {
  if (id.size() <= 4 || id.size() > 68 || id.substr(0, 4) != "imp_") return false;
  for (char c : id.substr(4)) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A prepared statement, finalized when it goes out of scope.
class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }

  void Text(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Int(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  std::string ColText(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : std::string();
  }
  int64_t ColInt(int i) const { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Dataset names are identifiers, so a comma separates them unambiguously.
std::vector<std::string> SplitDatasets(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// The entry's columns, in the order ReadEntry expects them.
constexpr const char* kColumns =
    "id, project, name, kind, format, filename, target_source, tables, size_bytes, row_count, "
    "status, error, created_ms, updated_ms, last_accessed_ms, datasets";

std::string TablesToJson(const std::vector<CatalogTable>& tables) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartArray();
  for (const CatalogTable& t : tables) {
    w.StartObject();
    w.Key("name");
    str(t.name);
    w.Key("location");
    str(t.location);
    w.Key("rows");
    w.Uint64(t.rows);
    w.Key("bytes");
    w.Uint64(t.bytes);
    w.Key("columns");
    w.StartArray();
    for (const CatalogColumn& c : t.columns) {
      w.StartObject();
      w.Key("name");
      str(c.name);
      w.Key("type");
      str(c.type);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return {buf.GetString(), buf.GetSize()};
}

std::string JsonString(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

uint64_t JsonUint(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : 0;
}

// False when `text` is not the JSON TablesToJson writes.
bool TablesFromJson(const std::string& text, std::vector<CatalogTable>& tables) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsArray()) return false;
  for (const auto& t : doc.GetArray()) {
    if (!t.IsObject()) return false;
    CatalogTable table;
    table.name = JsonString(t, "name");
    table.location = JsonString(t, "location");
    table.rows = JsonUint(t, "rows");
    table.bytes = JsonUint(t, "bytes");
    auto cols = t.FindMember("columns");
    if (cols != t.MemberEnd()) {
      if (!cols->value.IsArray()) return false;
      for (const auto& c : cols->value.GetArray()) {
        if (!c.IsObject()) return false;
        table.columns.push_back({JsonString(c, "name"), JsonString(c, "type")});
      }
    }
    tables.push_back(std::move(table));
  }
  return true;
}

}  // namespace

std::string NewImportId() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    std::random_device rd;
    for (unsigned char& b : bytes) b = static_cast<unsigned char>(rd() & 0xff);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "imp_";
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

namespace {

// Everything the catalog does with its SQLite file, with errors that name the file and say
// how to fix them. `db` may be null (open failures).
class CatalogDb {
 public:
  CatalogDb(sqlite3* db, std::string file) : db_(db), file_(std::move(file)) {}

  //! "import catalog FILE: what: reason; how to fix".
  Status Error(std::string_view what, int rc) const {
    std::string msg = "import catalog ";
    msg.append(file_).append(": ").append(what).append(": ");
    return Describe(rc, std::move(msg));
  }
  //! "cannot open import catalog FILE: reason; how to fix".
  Status OpenError(int rc) const {
    std::string msg = "cannot open import catalog ";
    msg.append(file_).append(": ");
    return Describe(rc, std::move(msg));
  }

 private:
  Status Describe(int rc, std::string msg) const {
    const int primary = rc & 0xff;
    const int err = db_ ? sqlite3_system_errno(db_) : 0;
    switch (primary) {
      case SQLITE_FULL:
        msg.append("the disk is full; ").append(HowToFix(ENOSPC));
        return ResourceExhausted(std::move(msg));
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        msg.append(
            "the file is locked by another process; make sure only one Tributary uses "
            "imports.dir, or set imports.dir to a folder of its own");
        return Unavailable(std::move(msg));
      case SQLITE_READONLY:
      case SQLITE_PERM:
      case SQLITE_AUTH:
        msg.append("permission denied; ").append(HowToFix(EACCES));
        return Unavailable(std::move(msg));
      case SQLITE_CANTOPEN:
      case SQLITE_IOERR:
        if (err != 0) {
          msg.append(ErrnoText(err)).append("; ").append(HowToFix(err));
        } else {
          msg.append(db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc))
              .append("; ")
              .append(HowToFix(EACCES));
        }
        return Unavailable(std::move(msg));
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        msg.append(
            "the file is damaged or not a SQLite database; move it away (the imports it "
            "listed are then forgotten and their folders deleted at the next start) or "
            "restore it from a backup");
        return Unavailable(std::move(msg));
      default:
        msg.append(db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc))
            .append("; check the file and the folder imports.dir");
        return Internal(std::move(msg));
    }
  }

 public:
  Status Exec(const char* sql, std::string_view what) const {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? Status::Ok() : Error(what, rc);
  }

  Status Prepare(Stmt& stmt, const char* sql, std::string_view what) const {
    const int rc = sqlite3_prepare_v2(db_, sql, -1, stmt.out(), nullptr);
    return rc == SQLITE_OK ? Status::Ok() : Error(what, rc);
  }

  // Steps a statement that returns no rows.
  Status Run(Stmt& stmt, std::string_view what) const {
    const int rc = sqlite3_step(stmt.get());
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? Status::Ok() : Error(what, rc);
  }

  // Rows of a SELECT of kColumns.
  Result<std::vector<CatalogEntry>> ReadEntries(Stmt& stmt, std::string_view what) const {
    std::vector<CatalogEntry> entries;
    for (;;) {
      const int rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error(what, rc);
      CatalogEntry e;
      e.id = stmt.ColText(0);
      e.project = stmt.ColText(1);
      e.name = stmt.ColText(2);
      e.kind = stmt.ColText(3);
      e.format = stmt.ColText(4);
      e.filename = stmt.ColText(5);
      e.target_source = stmt.ColText(6);
      if (!TablesFromJson(stmt.ColText(7), e.tables)) {
        std::string msg = "import catalog ";
        msg.append(file_)
            .append(": entry ")
            .append(e.id)
            .append(" has an unreadable table list; remove the source (DELETE /api/v1/sources/")
            .append(e.name)
            .append(") and import the file again");
        return Internal(std::move(msg));
      }
      e.size_bytes = static_cast<uint64_t>(stmt.ColInt(8));
      e.row_count = static_cast<uint64_t>(stmt.ColInt(9));
      e.status = stmt.ColText(10);
      e.error = stmt.ColText(11);
      e.created_ms = stmt.ColInt(12);
      e.updated_ms = stmt.ColInt(13);
      e.datasets = SplitDatasets(std::string(stmt.ColText(15)));
      e.last_accessed_ms = stmt.ColInt(14);
      entries.push_back(std::move(e));
    }
    return entries;
  }

  // Creates the schema or checks its version, in one write transaction.
  Status Migrate() const {
    TRIB_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE", "cannot start a transaction"));
    Status st = MigrateLocked();
    if (!st.ok()) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return st;
    }
    return Exec("COMMIT", "cannot write the schema");
  }

 private:
  Status MigrateLocked() const {
    TRIB_RETURN_IF_ERROR(
        Exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
             "cannot create the meta table"));
    Stmt get;
    TRIB_RETURN_IF_ERROR(Prepare(get, "SELECT value FROM meta WHERE key = 'schema_version'",
                                 "cannot read the schema version"));
    const int rc = sqlite3_step(get.get());
    if (rc == SQLITE_ROW) {
      const std::string text = get.ColText(0);
      int version = 0;
      try {
        version = std::stoi(text);
      } catch (...) {
        version = -1;
      }
      if (version == kSchemaVersion) return Status::Ok();
      std::string msg = "import catalog ";
      msg.append(file_);
      if (version > kSchemaVersion) {
        msg.append(" has schema version ")
            .append(text)
            .append(", newer than this Tributary understands (")
            .append(std::to_string(kSchemaVersion))
            .append(
                "); it was written by a newer release: upgrade Tributary, or set "
                "imports.dir to another folder");
      } else {
        msg.append(" has an unknown schema version '")
            .append(text)
            .append(
                "'; move the file away (its imports are then forgotten) or set imports.dir "
                "to another folder");
      }
      return Unavailable(std::move(msg));
    }
    if (rc != SQLITE_DONE) return Error("cannot read the schema version", rc);
    TRIB_RETURN_IF_ERROR(
        Exec("CREATE TABLE IF NOT EXISTS imports ("
             " id TEXT PRIMARY KEY,"
             " project TEXT NOT NULL,"
             " name TEXT NOT NULL,"
             " kind TEXT NOT NULL,"
             " format TEXT NOT NULL,"
             " filename TEXT NOT NULL,"
             " target_source TEXT NOT NULL,"
             " tables TEXT NOT NULL,"  // JSON: [{name, location, rows, bytes, columns}]
             " size_bytes INTEGER NOT NULL,"
             " row_count INTEGER NOT NULL,"
             " status TEXT NOT NULL,"
             " error TEXT NOT NULL,"
             " created_ms INTEGER NOT NULL,"
             " updated_ms INTEGER NOT NULL,"
             " last_accessed_ms INTEGER NOT NULL,"
             " datasets TEXT NOT NULL DEFAULT '');"  // dataset names, comma-separated
             "CREATE INDEX IF NOT EXISTS imports_by_project ON imports (project, created_ms);"
             "CREATE INDEX IF NOT EXISTS imports_by_name ON imports (name);",
             "cannot create the imports table"));
    Stmt put;
    TRIB_RETURN_IF_ERROR(Prepare(put, "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                                 "cannot write the schema version"));
    put.Text(1, std::to_string(kSchemaVersion));
    return Run(put, "cannot write the schema version");
  }

  sqlite3* db_;
  std::string file_;
};

std::string CatalogFile(const std::string& dir) {
  return (fs::path(dir) / kCatalogFile).string();
}

}  // namespace

Result<std::unique_ptr<ImportCatalog>> ImportCatalog::Open(const std::string& dir_in) {
  std::error_code ec;
  fs::path dir_path = fs::absolute(fs::path(dir_in), ec);
  if (ec) dir_path = fs::path(dir_in);
  dir_path = dir_path.lexically_normal();
  std::string dir = dir_path.string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const std::string file = CatalogFile(dir);

  fs::create_directories(dir, ec);
  if (ec) {
    std::string msg = "cannot create the import catalog folder ";
    msg.append(dir)
        .append(": ")
        .append(ErrnoText(ec.value()))
        .append("; ")
        .append(HowToFix(ec.value()));
    return Unavailable(std::move(msg));
  }
  if (!fs::is_directory(dir, ec)) {
    std::string msg = "cannot open import catalog ";
    msg.append(file)
        .append(": ")
        .append(dir)
        .append(" is not a folder; ")
        .append(HowToFix(ENOTDIR));
    return Unavailable(std::move(msg));
  }

  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      file.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  CatalogDb cdb(db, file);
  if (rc != SQLITE_OK) {
    Status st = cdb.OpenError(rc);
    sqlite3_close(db);
    return st;
  }
  // From here the catalog owns the connection.
  std::unique_ptr<ImportCatalog> catalog(new ImportCatalog(dir, db));
  // Errors below read "cannot open import catalog FILE: what: reason; how to fix".
  // (Messages that already read as a sentence about the file, such as the schema version's,
  // are kept as they are.)
  std::string prefix = "import catalog ";
  prefix.append(file).append(":");
  auto fail = [&prefix](const Status& st) {
    if (st.message().rfind(prefix, 0) != 0) return st;
    std::string msg = "cannot open ";
    msg.append(st.message());
    return Status(st.code(), std::move(msg));
  };

  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);
  {
    // journal_mode answers the mode in effect; anything but "wal" means it could not switch.
    Stmt wal;
    Status st = cdb.Prepare(wal, "PRAGMA journal_mode = WAL", "cannot read the file");
    if (!st.ok()) return fail(st);
    const int step = sqlite3_step(wal.get());
    if (step != SQLITE_ROW) return fail(cdb.Error("cannot switch to WAL mode", step));
    if (wal.ColText(0) != "wal") {
      std::string msg = "cannot open import catalog ";
      msg.append(file)
          .append(": cannot switch to WAL mode (journal mode is ")
          .append(wal.ColText(0))
          .append("); put imports.dir on a local file system");
      return Unavailable(std::move(msg));
    }
  }
  if (Status st = cdb.Exec("PRAGMA synchronous = NORMAL", "cannot set synchronous"); !st.ok()) {
    return fail(st);
  }
  if (Status st = cdb.Migrate(); !st.ok()) return fail(st);

  // Recovery: entries a dead process left "importing" are failed and their files deleted.
  std::set<std::string> owned;
  {
    Stmt sel;
    Status st = cdb.Prepare(sel, "SELECT id, status FROM imports", "cannot read the entries");
    if (!st.ok()) return fail(st);
    std::vector<std::string> interrupted;
    for (;;) {
      const int step = sqlite3_step(sel.get());
      if (step == SQLITE_DONE) break;
      if (step != SQLITE_ROW) return fail(cdb.Error("cannot read the entries", step));
      std::string id = sel.ColText(0);
      if (sel.ColText(1) == "importing") interrupted.push_back(id);
      owned.insert(std::move(id));
    }
    if (!interrupted.empty()) {
      Stmt upd;
      st = cdb.Prepare(upd,
                       "UPDATE imports SET status = 'error', error = ?, updated_ms = ? "
                       "WHERE status = 'importing'",
                       "cannot mark interrupted imports");
      if (!st.ok()) return fail(st);
      upd.Text(1, kInterrupted);
      upd.Int(2, NowMs());
      st = cdb.Run(upd, "cannot mark interrupted imports");
      if (!st.ok()) return fail(st);
      for (const std::string& id : interrupted) {
        if (!IsValidId(id)) continue;
        const fs::path folder = fs::path(dir) / id;
        fs::remove_all(folder, ec);
        if (ec) {
          spdlog::warn("import catalog {}: cannot delete {} of interrupted import {}: {}", file,
                       folder.string(), id, ec.message());
        }
        spdlog::info("import {} was interrupted by a restart: marked as error, files deleted", id);
      }
    }
  }
  // Folders named like an entry that no entry owns: leftovers of an import that never got an
  // entry, or of a Remove that could not delete its files.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (!IsValidId(name) || owned.contains(name) || !it->is_directory(type_ec) ||
        it->is_symlink(type_ec)) {
      continue;
    }
    std::error_code rm_ec;
    fs::remove_all(it->path(), rm_ec);
    if (rm_ec) {
      spdlog::warn("import catalog {}: cannot delete orphan folder {}: {}", file,
                   it->path().string(), rm_ec.message());
    } else {
      spdlog::info("import catalog {}: deleted orphan folder {}", file, it->path().string());
    }
  }
  return catalog;
}

ImportCatalog::ImportCatalog(std::string dir, sqlite3* db) : dir_(std::move(dir)), db_(db) {}

ImportCatalog::~ImportCatalog() {
  sqlite3_close_v2(db_);
}

std::string ImportCatalog::EntryDir(std::string_view id) const {
  return (fs::path(dir_) / std::string(id)).string();
}

Status ImportCatalog::Put(const CatalogEntry& e) {
  const std::string file = CatalogFile(dir_);
  if (!IsValidId(e.id)) {
    std::string msg = "import catalog ";
    msg.append(file)
        .append(": invalid entry id '")
        .append(e.id)
        .append("' (expected \"imp_\" and letters or digits, as NewImportId makes)");
    return InvalidArgument(std::move(msg));
  }
  std::lock_guard lock(mu_);
  CatalogDb cdb(db_, file);
  Stmt stmt;
  std::string sql = "INSERT OR REPLACE INTO imports (";
  sql.append(kColumns).append(") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  std::string what = "cannot write entry ";
  what.append(e.id);
  TRIB_RETURN_IF_ERROR(cdb.Prepare(stmt, sql.c_str(), what));
  stmt.Text(1, e.id);
  stmt.Text(2, e.project);
  stmt.Text(3, e.name);
  stmt.Text(4, e.kind);
  stmt.Text(5, e.format);
  stmt.Text(6, e.filename);
  stmt.Text(7, e.target_source);
  stmt.Text(8, TablesToJson(e.tables));
  stmt.Int(9, static_cast<int64_t>(e.size_bytes));
  stmt.Int(10, static_cast<int64_t>(e.row_count));
  stmt.Text(11, e.status);
  stmt.Text(12, e.error);
  stmt.Int(13, e.created_ms);
  stmt.Int(14, e.updated_ms);
  stmt.Int(15, e.last_accessed_ms);
  std::string datasets;
  for (const auto& d : e.datasets) datasets.append(datasets.empty() ? "" : ",").append(d);
  stmt.Text(16, datasets);
  TRIB_RETURN_IF_ERROR(cdb.Run(stmt, what));
  ++generation_;
  return Status::Ok();
}

Result<std::optional<CatalogEntry>> ImportCatalog::Get(std::string_view id) const {
  std::lock_guard lock(mu_);
  CatalogDb cdb(db_, CatalogFile(dir_));
  std::string sql = "SELECT ";
  sql.append(kColumns).append(" FROM imports WHERE id = ?");
  Stmt stmt;
  TRIB_RETURN_IF_ERROR(cdb.Prepare(stmt, sql.c_str(), "cannot read an entry"));
  stmt.Text(1, id);
  TRIB_ASSIGN_OR_RETURN(auto entries, cdb.ReadEntries(stmt, "cannot read an entry"));
  if (entries.empty()) return std::optional<CatalogEntry>();
  return std::optional<CatalogEntry>(std::move(entries.front()));
}

Result<std::optional<CatalogEntry>> ImportCatalog::FindByName(std::string_view name) const {
  std::lock_guard lock(mu_);
  CatalogDb cdb(db_, CatalogFile(dir_));
  std::string sql = "SELECT ";
  sql.append(kColumns).append(" FROM imports WHERE name = ? ORDER BY created_ms, rowid LIMIT 1");
  Stmt stmt;
  TRIB_RETURN_IF_ERROR(cdb.Prepare(stmt, sql.c_str(), "cannot look an entry up by name"));
  stmt.Text(1, name);
  TRIB_ASSIGN_OR_RETURN(auto entries, cdb.ReadEntries(stmt, "cannot look an entry up by name"));
  if (entries.empty()) return std::optional<CatalogEntry>();
  return std::optional<CatalogEntry>(std::move(entries.front()));
}

Result<std::vector<CatalogEntry>> ImportCatalog::List(
    std::optional<std::string_view> project) const {
  std::lock_guard lock(mu_);
  CatalogDb cdb(db_, CatalogFile(dir_));
  std::string sql = "SELECT ";
  sql.append(kColumns).append(" FROM imports");
  if (project) sql.append(" WHERE project = ?");
  sql.append(" ORDER BY created_ms, rowid");
  Stmt stmt;
  TRIB_RETURN_IF_ERROR(cdb.Prepare(stmt, sql.c_str(), "cannot list the entries"));
  if (project) stmt.Text(1, *project);
  return cdb.ReadEntries(stmt, "cannot list the entries");
}

Status ImportCatalog::Remove(std::string_view id) {
  const std::string file = CatalogFile(dir_);
  if (!IsValidId(id)) {
    // Also what keeps the folder below inside dir_: no '/', "." or "..".
    std::string msg = "import catalog ";
    msg.append(file).append(": no entry '").append(id).append("'");
    return NotFound(std::move(msg));
  }
  const fs::path folder = fs::path(dir_) / std::string(id);
  {
    std::error_code ec;
    const fs::path base = fs::weakly_canonical(fs::path(dir_), ec);
    const fs::path parent = fs::weakly_canonical(folder.parent_path(), ec);
    if (ec || parent != base) {
      std::string msg = "import catalog ";
      msg.append(file)
          .append(": refusing to delete ")
          .append(folder.string())
          .append(": it is not inside imports.dir");
      return InvalidArgument(std::move(msg));
    }
  }
  std::lock_guard lock(mu_);
  CatalogDb cdb(db_, file);
  std::string what = "cannot remove entry ";
  what.append(id);
  Stmt stmt;
  TRIB_RETURN_IF_ERROR(cdb.Prepare(stmt, "DELETE FROM imports WHERE id = ?", what));
  stmt.Text(1, id);
  TRIB_RETURN_IF_ERROR(cdb.Run(stmt, what));
  if (sqlite3_changes(db_) == 0) {
    std::string msg = "import catalog ";
    msg.append(file).append(": no entry '").append(id).append("'");
    return NotFound(std::move(msg));
  }
  ++generation_;
  // The entry is gone first: files left behind by a failure below are an orphan folder,
  // which the next Open deletes.
  std::error_code ec;
  if (fs::symlink_status(folder, ec).type() == fs::file_type::symlink) {
    fs::remove(folder, ec);  // never follow a link out of imports.dir
  } else {
    fs::remove_all(folder, ec);
  }
  if (ec) {
    std::string msg = "import catalog ";
    msg.append(file)
        .append(": entry ")
        .append(id)
        .append(" removed, but its folder ")
        .append(folder.string())
        .append(" could not be deleted: ")
        .append(ErrnoText(ec.value()))
        .append("; delete it by hand (the next start deletes it too)");
    return Unavailable(std::move(msg));
  }
  return Status::Ok();
}

Status ImportCatalog::Touch(std::string_view id, int64_t when_ms) {
  std::lock_guard lock(mu_);
  CatalogDb cdb(db_, CatalogFile(dir_));
  Stmt stmt;
  TRIB_RETURN_IF_ERROR(cdb.Prepare(stmt, "UPDATE imports SET last_accessed_ms = ? WHERE id = ?",
                                   "cannot record an access"));
  stmt.Int(1, when_ms);
  stmt.Text(2, id);
  return cdb.Run(stmt, "cannot record an access");
}

uint64_t ImportCatalog::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

}  // namespace tributary::importer
