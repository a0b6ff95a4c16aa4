#include "connectors/json_api/sql_tables.h"

#include <cctype>
#include <set>

namespace tributary::json_api {

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool IsIdentPart(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

}  // namespace

std::vector<std::string> ReferencedTables(std::string_view sql,
                                          const std::vector<std::string>& tables) {
  std::set<std::string> identifiers;
  size_t i = 0;
  const size_t n = sql.size();
  while (i < n) {
    const char c = sql[i];
    if (c == '\'') {  // 'text', '' inside
      for (++i; i < n; ++i) {
        if (sql[i] == '\'') {
          if (i + 1 < n && sql[i + 1] == '\'') {
            ++i;
            continue;
          }
          ++i;
          break;
        }
      }
    } else if (c == '"') {  // "identifier", "" inside
      std::string ident;
      for (++i; i < n; ++i) {
        if (sql[i] == '"') {
          if (i + 1 < n && sql[i + 1] == '"') {
            ident += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        ident += sql[i];
      }
      identifiers.insert(Lower(ident));
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
    } else if (c == '$' && i + 1 < n && !std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      // $tag$ ... $tag$ (a $1 parameter is skipped as a number below)
      size_t tag_end = i + 1;
      while (tag_end < n && IsIdentPart(sql[tag_end]) && sql[tag_end] != '$') ++tag_end;
      if (tag_end < n && sql[tag_end] == '$') {
        const std::string_view tag = sql.substr(i, tag_end - i + 1);
        const size_t close = sql.find(tag, tag_end + 1);
        i = close == std::string_view::npos ? n : close + tag.size();
      } else {
        ++i;
      }
    } else if (IsIdentStart(c)) {
      const size_t start = i;
      while (i < n && IsIdentPart(sql[i])) ++i;
      identifiers.insert(Lower(sql.substr(start, i - start)));
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '$') {
      ++i;
      while (i < n &&
             (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_' || sql[i] == '.')) {
        ++i;
      }
    } else {
      ++i;
    }
  }
  std::vector<std::string> out;
  for (const auto& table : tables) {
    if (identifiers.count(Lower(table)) != 0) out.push_back(table);
  }
  return out;
}

}  // namespace tributary::json_api
