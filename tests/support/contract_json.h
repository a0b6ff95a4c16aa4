// The contract's equality of two metric answers (shared/spec/metrics.md: "the same answer ...
// to 1e-9 relative on doubles and exactly on integers and strings"), shared by the pack tests:
// objects member by member in order, lists item by item, strings, booleans and nulls exactly.
// Thread-safety: pure functions.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <vector>

namespace tributary::testing {

struct JsonTolerance {
  //! Doubles may differ by `relative` * max(floor, |expected|, |actual|).
  double relative = 1e-9;
  //! 1 turns the bound absolute below magnitude 1, for hand-written expected decimals.
  double floor = 0;
  //! A double where an integer is expected, or the reverse, is a difference (the API writes
  //! each field in its declared type). Off: any two numbers compare by value.
  bool exact_number_kinds = true;
};

//! Every difference as "path: expected X, got Y (why)"; empty when equal.
std::vector<std::string> JsonDifferences(const boost::json::value& expected,
                                         const boost::json::value& actual, const std::string& path,
                                         const JsonTolerance& tolerance = {});

}  // namespace tributary::testing
