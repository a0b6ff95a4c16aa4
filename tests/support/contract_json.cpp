#include "support/contract_json.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cmath>

namespace tributary::testing {
namespace {

namespace json = boost::json;

void Compare(const json::value& expected, const json::value& actual, const std::string& path,
             const JsonTolerance& tolerance, std::vector<std::string>& diffs) {
  auto differ = [&](const std::string& why) {
    std::string line =
        path + ": expected " + json::serialize(expected) + ", got " + json::serialize(actual);
    if (!why.empty()) line.append(" (").append(why).append(")");
    diffs.push_back(std::move(line));
  };
  if (expected.is_number()) {
    if (!actual.is_number()) return differ("not a number");
    const bool expected_double = expected.is_double();
    if (tolerance.exact_number_kinds && expected_double != actual.is_double()) {
      return differ(expected_double ? "not a double" : "not an integer");
    }
    if (!expected_double && !actual.is_double()) {
      if (json::serialize(expected) != json::serialize(actual)) differ("");
      return;
    }
    const double e = expected.to_number<double>();
    const double a = actual.to_number<double>();
    const double bound =
        tolerance.relative * std::max({tolerance.floor, std::fabs(e), std::fabs(a)});
    if (e != a && !(std::fabs(e - a) <= bound)) differ("beyond the tolerance");
    return;
  }
  if (expected.is_array()) {
    if (!actual.is_array()) return differ("not a list");
    const auto& e = expected.get_array();
    const auto& a = actual.get_array();
    if (e.size() != a.size()) differ("list length");
    for (size_t i = 0; i < std::min(e.size(), a.size()); ++i) {
      Compare(e[i], a[i], path + "[" + std::to_string(i) + "]", tolerance, diffs);
    }
    return;
  }
  if (expected.is_object()) {
    if (!actual.is_object()) return differ("not an object");
    const auto& e = expected.get_object();
    const auto& a = actual.get_object();
    auto ie = e.begin();
    auto ia = a.begin();
    for (; ie != e.end() && ia != a.end(); ++ie, ++ia) {
      const std::string name(ie->key());
      if (ie->key() != ia->key()) {
        diffs.push_back(path + "." + name + ": expected this member, got " +
                        std::string(ia->key()));
        return;
      }
      Compare(ie->value(), ia->value(), path + "." + name, tolerance, diffs);
    }
    if (ie != e.end()) diffs.push_back(path + "." + std::string(ie->key()) + ": missing");
    if (ia != a.end()) diffs.push_back(path + "." + std::string(ia->key()) + ": unexpected");
    return;
  }
  if (expected != actual) differ("");
}

}  // namespace

std::vector<std::string> JsonDifferences(const json::value& expected, const json::value& actual,
                                         const std::string& path, const JsonTolerance& tolerance) {
  std::vector<std::string> diffs;
  Compare(expected, actual, path, tolerance, diffs);
  return diffs;
}

}  // namespace tributary::testing
