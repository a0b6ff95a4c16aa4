// The read-only SQL guard: a conservative tokenizer per dialect and the checks on its tokens.
// Wherever the engine's lexing is uncertain (server modes, versions), the guard picks the
// reading that sees more code, so that it can refuse a valid query but never let code hide
// inside what it believes is a string or a comment.
#include "connectors/common/sql_guard.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>

namespace tributary {
namespace {

bool IsWordStart(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool IsWordChar(unsigned char c, SqlDialect dialect) {
  // PostgreSQL and MySQL accept `$` inside identifiers (a$b); SQLite and ClickHouse do not.
  return std::isalnum(c) || c == '_' || c >= 0x80 ||
         (c == '$' && (dialect == SqlDialect::kPostgres || dialect == SqlDialect::kMySql));
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

class Lexer {
 public:
  // `backslash_escapes`: whether a backslash escapes the next character in '...' strings (MySQL
  // by default, ClickHouse always, PostgreSQL only in E'...' strings).
  // `dollar_quotes`: whether $tag$...$tag$ is a string (PostgreSQL; ClickHouse's heredocs).
  Lexer(std::string_view sql, SqlDialect dialect, bool backslash_escapes, bool dollar_quotes)
      : sql_(sql),
        dialect_(dialect),
        backslash_escapes_(backslash_escapes),
        dollar_quotes_(dollar_quotes) {}

  Result<std::vector<SqlToken>> Run() {
    std::vector<SqlToken> tokens;
    while (pos_ < sql_.size()) {
      const unsigned char c = sql_[pos_];
      const size_t start = pos_;
      if (std::isspace(c)) {
        ++pos_;
      } else if (StartsLineComment()) {
        while (pos_ < sql_.size() && sql_[pos_] != '\n') ++pos_;
      } else if (c == '/' && Peek(1) == '*') {
        TRIB_RETURN_IF_ERROR(SkipBlockComment());
      } else if (in_executable_comment_ && c == '*' && Peek(1) == '/') {
        // The end of a MySQL /*! ... */ comment whose content we read as code.
        in_executable_comment_ = false;
        pos_ += 2;
      } else if (c == '\'') {
        TRIB_RETURN_IF_ERROR(
            Quoted('\'', backslash_escapes_, SqlToken::Kind::kString, "string", tokens));
      } else if ((c == 'E' || c == 'e') && Peek(1) == '\'' && dialect_ == SqlDialect::kPostgres &&
                 !PrecededByWordChar()) {
        ++pos_;
        TRIB_RETURN_IF_ERROR(Quoted('\'', true, SqlToken::Kind::kString, "string", tokens));
        tokens.back().offset = start;
      } else if (c == '"') {
        // MySQL's default mode reads "..." as a string (ANSI_QUOTES as an identifier: the
        // same delimiters, so the same split). ClickHouse escapes with backslashes there too.
        const bool mysql = dialect_ == SqlDialect::kMySql;
        const bool backslash = mysql ? backslash_escapes_ : dialect_ == SqlDialect::kClickHouse;
        TRIB_RETURN_IF_ERROR(Quoted(
            '"', backslash, mysql ? SqlToken::Kind::kString : SqlToken::Kind::kQuotedIdentifier,
            mysql ? "string" : "quoted identifier", tokens));
      } else if (c == '`' && dialect_ != SqlDialect::kPostgres) {
        TRIB_RETURN_IF_ERROR(Quoted('`', dialect_ == SqlDialect::kClickHouse,
                                    SqlToken::Kind::kQuotedIdentifier, "quoted identifier",
                                    tokens));
      } else if (c == '[' && dialect_ == SqlDialect::kSqlite) {
        const size_t close = sql_.find(']', pos_ + 1);
        if (close == std::string_view::npos) return Unterminated("quoted identifier", start);
        tokens.push_back({SqlToken::Kind::kQuotedIdentifier,
                          std::string(sql_.substr(pos_ + 1, close - pos_ - 1)), start});
        pos_ = close + 1;
      } else if (c == '$' && dollar_quotes_ && !PrecededByWordChar()) {
        TRIB_RETURN_IF_ERROR(Dollar(tokens));
      } else if (std::isdigit(c) ||
                 (c == '.' && std::isdigit(static_cast<unsigned char>(Peek(1))))) {
        // Only digits and dots: letters right after a number (1e5, 0x1F, 1INTO) become a
        // word of their own, so a keyword glued to a number is still seen.
        while (pos_ < sql_.size() &&
               (std::isdigit(static_cast<unsigned char>(sql_[pos_])) || sql_[pos_] == '.')) {
          ++pos_;
        }
        tokens.push_back(
            {SqlToken::Kind::kNumber, std::string(sql_.substr(start, pos_ - start)), start});
      } else if (IsWordStart(c)) {
        while (pos_ < sql_.size() && IsWordChar(static_cast<unsigned char>(sql_[pos_]), dialect_)) {
          ++pos_;
        }
        tokens.push_back({SqlToken::Kind::kWord, Upper(sql_.substr(start, pos_ - start)), start});
      } else if (c == '?' ||
                 (IsParameterSigil(c) &&
                  IsWordChar(static_cast<unsigned char>(Peek(1)), dialect_) && Peek(1) != '$')) {
        // ? everywhere, :name, @name and $name in SQLite, @user_variable in MySQL.
        ++pos_;
        while (c != '?' && pos_ < sql_.size() &&
               IsWordChar(static_cast<unsigned char>(sql_[pos_]), dialect_)) {
          ++pos_;
        }
        tokens.push_back(
            {SqlToken::Kind::kParameter, std::string(sql_.substr(start, pos_ - start)), start});
      } else {
        tokens.push_back({SqlToken::Kind::kPunct, std::string(1, static_cast<char>(c)), start});
        ++pos_;
      }
    }
    if (in_executable_comment_) return Unterminated("comment", executable_comment_start_);
    return tokens;
  }

 private:
  char Peek(size_t ahead) const { return pos_ + ahead < sql_.size() ? sql_[pos_ + ahead] : '\0'; }
  bool IsParameterSigil(char c) const {
    if (dialect_ == SqlDialect::kSqlite) return c == ':' || c == '@' || c == '$';
    return dialect_ == SqlDialect::kMySql && c == '@';
  }
  bool PrecededByWordChar() const {
    return pos_ > 0 && IsWordChar(static_cast<unsigned char>(sql_[pos_ - 1]), dialect_);
  }

  static Status Unterminated(std::string_view what, size_t offset) {
    return QueryError("unterminated " + std::string(what) + " starting at offset " +
                      std::to_string(offset));
  }

  bool StartsLineComment() const {
    const char c = sql_[pos_];
    if (c == '#') return dialect_ == SqlDialect::kMySql;
    if (c != '-' || Peek(1) != '-') return false;
    if (dialect_ != SqlDialect::kMySql) return true;
    // MySQL needs a space or control character after `--`: `1--1` is 1 - (-1), and reading
    // it as a comment would hide the rest of the line from the guard but not from MySQL.
    const unsigned char next = static_cast<unsigned char>(Peek(2));
    return next == '\0' || std::isspace(next) || std::iscntrl(next);
  }

  Status SkipBlockComment() {
    const size_t start = pos_;
    if (dialect_ == SqlDialect::kMySql && (Peek(2) == '!' || (Peek(2) == 'M' && Peek(3) == '!'))) {
      // /*!50100 code */ and /*M!100100 code */ run their content: read it as code.
      if (in_executable_comment_)
        return QueryError("nested executable comment at offset " + std::to_string(start));
      pos_ += Peek(2) == '!' ? 3 : 4;
      while (pos_ < sql_.size() && std::isdigit(static_cast<unsigned char>(sql_[pos_]))) ++pos_;
      in_executable_comment_ = true;
      executable_comment_start_ = start;
      return Status::Ok();
    }
    // PostgreSQL nests block comments. The others end at the first */: if an engine did
    // nest, it would only hide more text from itself than from the guard.
    const bool nested = dialect_ == SqlDialect::kPostgres;
    int depth = 1;
    pos_ += 2;
    while (pos_ < sql_.size()) {
      if (nested && sql_[pos_] == '/' && Peek(1) == '*') {
        ++depth;
        pos_ += 2;
      } else if (sql_[pos_] == '*' && Peek(1) == '/') {
        pos_ += 2;
        if (--depth == 0) return Status::Ok();
      } else {
        ++pos_;
      }
    }
    return Unterminated("comment", start);
  }

  // A run delimited by `quote` where a doubled quote stands for itself and, with `backslash`,
  // a backslash escapes the next character.
  Status Quoted(char quote, bool backslash, SqlToken::Kind kind, std::string_view what,
                std::vector<SqlToken>& tokens) {
    const size_t start = pos_;
    std::string text;
    ++pos_;
    while (pos_ < sql_.size()) {
      const char c = sql_[pos_];
      if (backslash && c == '\\' && pos_ + 1 < sql_.size()) {
        text += sql_[pos_ + 1];
        pos_ += 2;
      } else if (c == quote && Peek(1) == quote) {
        text += quote;
        pos_ += 2;
      } else if (c == quote) {
        ++pos_;
        tokens.push_back({kind, std::move(text), start});
        return Status::Ok();
      } else {
        text += c;
        ++pos_;
      }
    }
    return Unterminated(what, start);
  }

  // PostgreSQL: $1 is a parameter, $tag$ ... $tag$ and $$ ... $$ are strings, else `$`.
  Status Dollar(std::vector<SqlToken>& tokens) {
    const size_t start = pos_;
    if (std::isdigit(static_cast<unsigned char>(Peek(1)))) {
      ++pos_;
      while (pos_ < sql_.size() && std::isdigit(static_cast<unsigned char>(sql_[pos_]))) ++pos_;
      tokens.push_back(
          {SqlToken::Kind::kParameter, std::string(sql_.substr(start, pos_ - start)), start});
      return Status::Ok();
    }
    size_t tag_end = pos_ + 1;
    if (tag_end < sql_.size() && IsWordStart(static_cast<unsigned char>(sql_[tag_end]))) {
      while (tag_end < sql_.size() &&
             (std::isalnum(static_cast<unsigned char>(sql_[tag_end])) || sql_[tag_end] == '_' ||
              static_cast<unsigned char>(sql_[tag_end]) >= 0x80)) {
        ++tag_end;
      }
    }
    if (tag_end >= sql_.size() || sql_[tag_end] != '$') {
      tokens.push_back({SqlToken::Kind::kPunct, "$", start});
      ++pos_;
      return Status::Ok();
    }
    const std::string_view delimiter = sql_.substr(start, tag_end + 1 - start);
    const size_t body = tag_end + 1;
    const size_t close = sql_.find(delimiter, body);
    if (close == std::string_view::npos) return Unterminated("dollar-quoted string", start);
    tokens.push_back(
        {SqlToken::Kind::kString, std::string(sql_.substr(body, close - body)), start});
    pos_ = close + delimiter.size();
    return Status::Ok();
  }

  std::string_view sql_;
  SqlDialect dialect_;
  bool backslash_escapes_;
  bool dollar_quotes_;
  size_t pos_ = 0;
  bool in_executable_comment_ = false;
  size_t executable_comment_start_ = 0;
};

// Statements and clauses that write, lock, change the session or reach outside the database.
constexpr std::array kForbiddenWords = {
    "INSERT",    "UPDATE",   "DELETE",   "MERGE",    "UPSERT",     "REPLACE",    "CREATE",
    "DROP",      "ALTER",    "TRUNCATE", "RENAME",   "GRANT",      "REVOKE",     "COPY",
    "CALL",      "DO",       "EXEC",     "EXECUTE",  "PREPARE",    "DEALLOCATE", "SET",
    "RESET",     "LOCK",     "UNLOCK",   "VACUUM",   "ANALYZE",    "EXPLAIN",    "REINDEX",
    "CLUSTER",   "REFRESH",  "ATTACH",   "DETACH",   "PRAGMA",     "LOAD",       "INTO",
    "OUTFILE",   "DUMPFILE", "HANDLER",  "KILL",     "OPTIMIZE",   "SYSTEM",     "INSTALL",
    "UNINSTALL", "LISTEN",   "UNLISTEN", "NOTIFY",   "BEGIN",      "COMMIT",     "ROLLBACK",
    "SAVEPOINT", "RELEASE",  "START",    "SHUTDOWN", "CHECKPOINT", "DISCARD",    "COMMENT",
    "SECURITY",  "IMPORT",   "FLUSH",    "PURGE",    "RESTART",
};

// Words that are also harmless functions: REPLACE('a', 'b', 'c'), TRUNCATE(1.5, 0) (MySQL).
// As statements they are never followed by `(`, and no dialect lets them start a clause
// inside a SELECT.
constexpr std::array kFunctionLikeWords = {"REPLACE", "TRUNCATE"};

// Functions with side effects or access to files and other servers, matched when the name
// (plain or quoted) is followed by `(`.
constexpr std::array kPostgresFunctions = {
    "PG_TERMINATE_BACKEND",
    "PG_CANCEL_BACKEND",
    "PG_RELOAD_CONF",
    "LO_IMPORT",
    "LO_EXPORT",
    "LO_UNLINK",
    "LO_CREATE",
    "LO_CREAT",
    "LO_PUT",
    "LO_FROM_BYTEA",
    "PG_READ_FILE",
    "PG_READ_BINARY_FILE",
    "PG_LS_DIR",
    "DBLINK",
    "DBLINK_EXEC",
    "DBLINK_CONNECT",
    "DBLINK_SEND_QUERY",
    "SET_CONFIG",
    "NEXTVAL",
    "SETVAL",
    "PG_NOTIFY",
    "QUERY_TO_XML",
    "QUERY_TO_XMLSCHEMA",
    "QUERY_TO_XML_AND_XMLSCHEMA",
    "PG_ROTATE_LOGFILE",
    "PG_SWITCH_WAL",
    "PG_PROMOTE",
    "PG_CREATE_RESTORE_POINT",
    "PG_LOGICAL_EMIT_MESSAGE",
    "PG_STAT_RESET",
    "TXID_CURRENT",
    "PG_CURRENT_XACT_ID",
    "PG_ADVISORY_LOCK",
    "PG_ADVISORY_XACT_LOCK",
    "PG_FILE_WRITE",
    "PG_FILE_UNLINK",
};
constexpr std::array kMySqlFunctions = {"LOAD_FILE", "GET_LOCK", "SYS_EXEC", "SYS_EVAL"};
constexpr std::array kSqliteFunctions = {"LOAD_EXTENSION", "WRITEFILE", "READFILE",
                                         "FTS3_TOKENIZER", "EDIT"};
constexpr std::array kClickHouseFunctions = {
    "FILE",
    "URL",
    "REMOTE",
    "REMOTESECURE",
    "MYSQL",
    "JDBC",
    "ODBC",
    "HDFS",
    "S3",
    "INPUT",
    "EXECUTABLE",
    "POSTGRESQL",
    "CLUSTER",
    "CLUSTERALLREPLICAS",
    "SQLITE",
    "MONGODB",
    "S3CLUSTER",
    "HDFSCLUSTER",
    "URLCLUSTER",
    "GCS",
    "AZUREBLOBSTORAGE",
    "FILECLUSTER",
    "REDIS",
    "DELTALAKE",
    "HUDI",
    "ICEBERG",
};

template <size_t N>
bool Contains(const std::array<const char*, N>& list, const std::string& word) {
  return std::any_of(list.begin(), list.end(), [&](const char* item) { return word == item; });
}

bool IsForbiddenFunction(const std::string& name, SqlDialect dialect) {
  switch (dialect) {
    case SqlDialect::kPostgres:
      return Contains(kPostgresFunctions, name);
    case SqlDialect::kMySql:
      return Contains(kMySqlFunctions, name);
    case SqlDialect::kSqlite:
      return Contains(kSqliteFunctions, name);
    case SqlDialect::kClickHouse:
      return Contains(kClickHouseFunctions, name);
  }
  return false;
}

bool IsPunct(const std::vector<SqlToken>& tokens, size_t i, char c) {
  return i < tokens.size() && tokens[i].kind == SqlToken::Kind::kPunct &&
         tokens[i].text.size() == 1 && tokens[i].text[0] == c;
}

Status Denied(const std::string& what, size_t offset) {
  return PermissionDenied("only read-only SELECT statements are allowed; found " + what +
                          " at offset " + std::to_string(offset));
}

Status CheckTokens(const std::vector<SqlToken>& tokens, SqlDialect dialect) {
  // Statements are what `;` separates; empty ones (`SELECT 1;`, `;;`) are harmless.
  int statements = 0;
  bool in_statement = false;
  const SqlToken* first = nullptr;
  for (const SqlToken& token : tokens) {
    if (token.kind == SqlToken::Kind::kPunct && token.text == ";") {
      in_statement = false;
      continue;
    }
    if (!in_statement) {
      in_statement = true;
      ++statements;
      if (!first) first = &token;
    }
  }
  if (statements == 0) return QueryError("the SQL is empty: write one SELECT statement");
  if (statements > 1) {
    return QueryError("only one statement is allowed, found " + std::to_string(statements));
  }

  const bool starts_read =
      (first->kind == SqlToken::Kind::kWord &&
       (first->text == "SELECT" || first->text == "WITH" || first->text == "VALUES" ||
        (first->text == "TABLE" && dialect == SqlDialect::kPostgres))) ||
      (first->kind == SqlToken::Kind::kPunct && first->text == "(");
  if (!starts_read) {
    const std::string what =
        first->kind == SqlToken::Kind::kWord ? first->text : "'" + first->text + "'";
    return Denied(what, first->offset);
  }

  for (size_t i = 0; i < tokens.size(); ++i) {
    const SqlToken& token = tokens[i];
    // MySQL's @var := value changes the session, which pooled connections share.
    if (dialect == SqlDialect::kMySql && IsPunct(tokens, i, ':') && IsPunct(tokens, i + 1, '=')) {
      return Denied("':='", token.offset);
    }
    const bool word = token.kind == SqlToken::Kind::kWord;
    if (!word && token.kind != SqlToken::Kind::kQuotedIdentifier) continue;
    const bool called = IsPunct(tokens, i + 1, '(');
    if (called && IsForbiddenFunction(word ? token.text : Upper(token.text), dialect)) {
      return Denied("function " + Upper(token.text), token.offset);
    }
    if (!word) continue;
    // A qualified name (system.tables, t.set) names an object, it is not a clause.
    if (IsPunct(tokens, i + 1, '.') || (i > 0 && IsPunct(tokens, i - 1, '.'))) continue;
    if (Contains(kForbiddenWords, token.text) &&
        !(called && Contains(kFunctionLikeWords, token.text))) {
      return Denied(token.text, token.offset);
    }
    // SELECT ... FOR SHARE / FOR KEY SHARE / FOR NO KEY UPDATE take row locks.
    if (token.text == "FOR" && i + 1 < tokens.size() &&
        tokens[i + 1].kind == SqlToken::Kind::kWord &&
        (tokens[i + 1].text == "SHARE" || tokens[i + 1].text == "KEY" ||
         tokens[i + 1].text == "NO")) {
      return Denied("FOR " + tokens[i + 1].text, token.offset);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<SqlToken>> TokenizeSql(std::string_view sql, SqlDialect dialect) {
  return Lexer(sql, dialect, dialect == SqlDialect::kMySql || dialect == SqlDialect::kClickHouse,
               dialect == SqlDialect::kPostgres)
      .Run();
}

Status CheckReadOnlySql(std::string_view sql, SqlDialect dialect) {
  auto tokens = TokenizeSql(sql, dialect);
  if (!tokens.ok()) return tokens.status();
  TRIB_RETURN_IF_ERROR(CheckTokens(*tokens, dialect));
  // Where a server mode or version changes how quotes are read, the other reading must pass
  // too whenever it yields complete tokens (when it does not, the engine in that mode cannot
  // parse the query either, so it runs nothing):
  // - MySQL's NO_BACKSLASH_ESCAPES turns backslash escapes off;
  // - PostgreSQL's standard_conforming_strings=off turns them on in '...' strings;
  // - ClickHouse releases after 18.16 read $$...$$ as a string (heredoc).
  std::optional<Lexer> other;
  if (dialect == SqlDialect::kMySql && sql.find('\\') != std::string_view::npos) {
    other.emplace(sql, dialect, false, false);
  } else if (dialect == SqlDialect::kPostgres && sql.find('\\') != std::string_view::npos) {
    other.emplace(sql, dialect, true, true);
  } else if (dialect == SqlDialect::kClickHouse && sql.find('$') != std::string_view::npos) {
    other.emplace(sql, dialect, true, true);
  }
  if (other) {
    auto other_tokens = other->Run();
    if (other_tokens.ok()) TRIB_RETURN_IF_ERROR(CheckTokens(*other_tokens, dialect));
  }
  return Status::Ok();
}

}  // namespace tributary
