#include "connectors/duckdb/duckdb_setup.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace tributary::duckdb_internal {

namespace {

std::string Quote(std::string_view text, char quote) {
  std::string out(1, quote);
  for (char c : text) {
    if (c == quote) out.push_back(quote);
    out.push_back(c);
  }
  out.push_back(quote);
  return out;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::string SqlLiteral(std::string_view text) {
  return Quote(text, '\'');
}

std::string SqlIdentifier(std::string_view name) {
  return Quote(name, '"');
}

std::string ResolvePath(std::string_view path, std::string_view base_dir) {
  std::filesystem::path p{std::string(path)};
  if (p.is_relative()) {
    std::filesystem::path base = base_dir.empty() ? std::filesystem::current_path()
                                                  : std::filesystem::path(std::string(base_dir));
    if (base.is_relative()) base = std::filesystem::current_path() / base;
    p = base / p;
  }
  return p.lexically_normal().string();
}

std::string CatalogAliasFor(std::string_view source_id) {
  bool plain = !source_id.empty() && !std::isdigit(static_cast<unsigned char>(source_id[0]));
  for (char c : source_id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') plain = false;
  }
  static constexpr std::string_view kReserved[] = {"memory", "system", "temp", "main"};
  const std::string lower = Lower(source_id);
  for (auto reserved : kReserved) {
    if (lower == reserved) plain = false;
  }
  return plain ? std::string(source_id) : std::string("db");
}

std::optional<std::string> ReaderFunctionFor(std::string_view path) {
  std::string name = Lower(path);
  if (EndsWith(name, ".parquet")) return "read_parquet";
  if (EndsWith(name, ".gz")) name.resize(name.size() - 3);
  if (EndsWith(name, ".csv") || EndsWith(name, ".tsv")) return "read_csv_auto";
  if (EndsWith(name, ".json") || EndsWith(name, ".ndjson") || EndsWith(name, ".jsonl")) {
    return "read_json_auto";
  }
  return std::nullopt;
}

bool HasGlob(std::string_view path) {
  return path.find_first_of("*?[") != std::string_view::npos;
}

std::string GlobBaseDirectory(std::string_view pattern) {
  const size_t glob = pattern.find_first_of("*?[");
  const std::string_view head = glob == std::string_view::npos ? pattern : pattern.substr(0, glob);
  const size_t slash = head.rfind('/');
  if (slash == std::string_view::npos) return "./";
  return std::string(head.substr(0, slash + 1));
}

}  // namespace tributary::duckdb_internal
