#include "support/test_postgres.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/time_util.h"

namespace tributary::testing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

TestPgSession::TestPgSession() {
  const std::string host = Env("TRIB_TEST_PG_HOST"), port = Env("TRIB_TEST_PG_PORT"),
                    db = Env("TRIB_TEST_PG_DB"), user = Env("TRIB_TEST_PG_USER"),
                    pw = Env("TRIB_TEST_PG_PASSWORD");
  const char* keys[] = {"host", "port", "dbname", "user", "password", "sslmode", nullptr};
  const char* values[] = {host.c_str(), port.c_str(), db.c_str(), user.c_str(),
                          pw.c_str(),   "disable",    nullptr};
  conn_ = PQconnectdbParams(keys, values, 0);
}

TestPgSession::~TestPgSession() {
  PQfinish(conn_);
}

bool TestPgSession::ok() const {
  return PQstatus(conn_) == CONNECTION_OK;
}

std::string TestPgSession::error() const {
  return PQerrorMessage(conn_);
}

bool TestPgSession::Exec(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  const auto st = PQresultStatus(r);
  const bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  EXPECT_TRUE(ok) << sql << ": " << PQerrorMessage(conn_);
  PQclear(r);
  return ok;
}

std::string TestPgSession::Query(const std::string& sql, const std::vector<Value>& params) {
  std::vector<std::string> texts;
  std::vector<Oid> types;
  for (const Value& v : params) {
    switch (v.type) {
      case ColumnType::kTimestamp:
        texts.push_back(FormatTimestamp(v.as_int()));
        types.push_back(1184);  // timestamptz, as the connector binds it
        break;
      case ColumnType::kInt64:
        texts.push_back(std::to_string(v.as_int()));
        types.push_back(20);  // int8
        break;
      default:
        texts.push_back(v.type == ColumnType::kNull ? "" : v.as_string());
        types.push_back(0);
        break;
    }
  }
  std::vector<const char*> values;
  for (size_t i = 0; i < params.size(); ++i) {
    values.push_back(params[i].type == ColumnType::kNull ? nullptr : texts[i].c_str());
  }
  PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), types.data(),
                             values.data(), nullptr, nullptr, 0);
  std::string out;
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    out = std::string("ERROR: ") + PQerrorMessage(conn_);
  } else {
    for (int row = 0; row < PQntuples(r); ++row) {
      for (int col = 0; col < PQnfields(r); ++col) {
        if (col) out += '|';
        out += PQgetisnull(r, row, col) ? "NULL" : PQgetvalue(r, row, col);
      }
      out += '\n';
    }
  }
  PQclear(r);
  return out;
}
}  // namespace tributary::testing
