// BigQueryTestServer: a protocol-level stand-in for Google's BigQuery REST API v2 and OAuth
// token endpoint, for the BigQuery connector's tests (BigQuery cannot run here).
//
// It implements the documented endpoints the connector uses, with Google's JSON shapes and
// error bodies, over tests/support/local_http_server.h:
// - POST /token: the JWT-bearer grant. The assertion's RS256 signature is VERIFIED against the
//   public half of the key pair the server generated (OpenSSL), and iss, aud, scope, iat/exp
//   are checked; a wrong key gets Google's {"error":"invalid_grant",...}. Tokens expire after
//   token_lifetime_s; API calls without a valid one get 401 UNAUTHENTICATED.
// - the metadata server's token and project-id routes (Metadata-Flavor: Google required).
// - POST projects/{p}/queries (jobs.query, dry runs included), GET projects/{p}/queries/{job}
//   (getQueryResults, paged by maxResults/pageToken), POST projects/{p}/jobs/{job}/cancel,
//   datasets.list, tables.list, tables.get.
// Queries are EXECUTED on an in-memory DuckDB: GoogleSQL is translated (backtick paths to
// schema-qualified names, @named and positional parameters to typed literals, wildcard tables
// `d.events_*` to a UNION ALL view with _TABLE_SUFFIX, GoogleSQL functions to DuckDB macros,
// correlated UNNEST(x) AS p) and the rows are answered in BigQuery's JSON conventions (INT64
// and every scalar as strings, TIMESTAMP as epoch seconds in E notation, REPEATED as [{"v"}],
// RECORD as {"f": [...]}). jobs.query answers jobComplete:false first (unless answer_in_query); dry
// runs answer a totalBytesProcessed computed from the sizes of the tables the query reads (8 bytes
// per cell). Knobs make queries slow (to test timeouts and jobs.cancel) and inject quota errors.
// Thread-safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace tributary::bigquery_test {

class BigQueryTestServer {
 public:
  //! `project` is the key's project_id; tables live in DuckDB schemas named like datasets.
  explicit BigQueryTestServer(std::string project = "test-project");
  ~BigQueryTestServer();
  BigQueryTestServer(const BigQueryTestServer&) = delete;
  BigQueryTestServer& operator=(const BigQueryTestServer&) = delete;

  //! "http://127.0.0.1:<port>": the connector's `endpoint`.
  std::string url() const;
  //! The token endpoint (the key's token_uri).
  std::string token_uri() const;
  //! A service-account key JSON whose private key the server trusts; with `wrong_key`, one
  //! signed by another key pair (the server refuses it).
  std::string KeyJson(bool wrong_key = false) const;
  std::string client_email() const;

  //! Runs DuckDB SQL to build the catalog (CREATE SCHEMA ds; CREATE TABLE ds.t ...); "" or
  //! the error.
  std::string Exec(const std::string& sql);
  //! Marks a DuckDB table as a BigQuery VIEW or EXTERNAL table in tables.list/get.
  void SetTableType(const std::string& dataset, const std::string& table, const std::string& type);

  //! The GoogleSQL -> DuckDB translation of `sql` (parameters rendered as literals), for tests
  //! of the translator itself.
  std::string Translate(const std::string& sql) const;

  // Knobs and counters.
  //! Queries whose text contains this marker never complete (until cancelled).
  static constexpr const char* kSlowMarker = "/* bq-test:slow */";
  std::atomic<int> token_lifetime_s{3600};
  //! jobs.query answers quick queries complete, with the first page of rows (as BigQuery does
  //! when the job finishes within timeoutMs); by default it always answers jobComplete:false.
  std::atomic<bool> answer_in_query{false};
  //! The next N API calls answer 403 rateLimitExceeded (with Retry-After: 0).
  std::atomic<int> rate_limit_next{0};
  //! The next N API calls answer 429 with Retry-After: 0.
  std::atomic<int> too_many_requests_next{0};
  std::atomic<int> tokens_issued{0};
  std::atomic<int> token_refusals{0};
  std::atomic<int> dry_runs{0};
  std::atomic<int> queries_run{0};
  std::atomic<int> result_pages{0};
  //! Job ids jobs.cancel was called for.
  std::vector<std::string> cancelled_jobs() const;
  //! The body of the last jobs.query that was not a dry run.
  std::string last_query_body() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::bigquery_test
