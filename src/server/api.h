// The HTTP API v1: the route table and its handlers (health, readiness, metrics, sources,
// tables, query). Handlers are plain functions of an ApiRequest; the session decides where
// they run (blocking ones on the worker pool) and how the answer is written.
// Thread-safety: an Api is immutable after construction; handlers may run concurrently.
#pragma once

#include "server/router.h"

namespace tributary {

class Api {
 public:
  Api();
  const Router& router() const { return router_; }

 private:
  Router router_;
};

//! "source 'x': UNAVAILABLE: why" for readiness reasons and logs.
std::string DescribeSourceProblem(const std::string& source_id, const Status& status);

}  // namespace tributary
