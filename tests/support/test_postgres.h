// A libpq session on the test PostgreSQL of scripts/test-servers.sh (TRIB_TEST_PG_HOST, _PORT,
// _DB, _USER, _PASSWORD) as its test user, outside any connector: for fixtures, and for
// comparing the connector's answers with the server's own.
// Thread-safety: one session per thread.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <vector>

#include "core/value.h"

namespace tributary::testing {

class TestPgSession {
 public:
  TestPgSession();
  ~TestPgSession();
  TestPgSession(const TestPgSession&) = delete;
  TestPgSession& operator=(const TestPgSession&) = delete;

  bool ok() const;
  std::string error() const;
  //! Runs a statement; false (with a test failure naming it) when it fails.
  bool Exec(const std::string& sql);
  //! Every cell of the result as text ("NULL" for null), cells joined by '|', each row ended
  //! by a newline; "ERROR: ..." when the query fails. Timestamps bind as timestamptz and
  //! integers as int8, as the connector binds them.
  std::string Query(const std::string& sql, const std::vector<Value>& params = {});

 private:
  PGconn* conn_ = nullptr;
};

}  // namespace tributary::testing
