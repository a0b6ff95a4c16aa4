#include "connectors/duckdb/duckdb_open.h"

namespace tributary::duckdb_internal {

Status OpenOfflineDatabase(const std::string& path, const DuckDbSettings& settings,
                           DatabaseHandle& db) {
  ConfigHandle config;
  if (duckdb_create_config(config.out()) == DuckDBError) {
    return Internal("cannot create a DuckDB configuration");
  }
  DuckDbSettings all = {
      {"autoinstall_known_extensions", "false"},
      {"autoload_known_extensions", "false"},
      {"allow_community_extensions", "false"},
      {"allow_persistent_secrets", "false"},
  };
  all.insert(all.end(), settings.begin(), settings.end());
  for (const auto& [name, value] : all) {
    if (duckdb_set_config(config.get(), name.c_str(), value.c_str()) == DuckDBError) {
      return InvalidArgument("invalid " + name + " \"" + value + "\"");
    }
  }
  char* open_error = nullptr;
  if (duckdb_open_ext(path.empty() ? nullptr : path.c_str(), db.out(), config.get(), &open_error) ==
      DuckDBError) {
    std::string message = open_error ? open_error : "unknown error";
    if (open_error) duckdb_free(open_error);
    return Unavailable(std::move(message));
  }
  return Status::Ok();
}

}  // namespace tributary::duckdb_internal
