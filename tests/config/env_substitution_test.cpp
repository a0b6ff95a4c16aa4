#include <gtest/gtest.h>

#include "config/config.h"
#include "config/config_test_util.h"

namespace tributary {
namespace {

using testing::FakeEnv;

std::string Substituted(const std::string& text, std::map<std::string, std::string> vars = {}) {
  Result<std::string> out = SubstituteEnv(text, FakeEnv(std::move(vars)));
  if (!out.ok()) return "ERROR: " + out.status().message();
  return *out;
}

TEST(ConfigEnv, SubstitutesVariables) {
  EXPECT_EQ(Substituted("${A}", {{"A", "x"}}), "x");
  EXPECT_EQ(Substituted("pre-${A}-${B}-post", {{"A", "1"}, {"B", "2"}}), "pre-1-2-post");
  EXPECT_EQ(Substituted("${A}${A}", {{"A", "ab"}}), "abab");
  EXPECT_EQ(Substituted("${_LOWER_9}", {{"_LOWER_9", "ok"}}), "ok");
  // Set but empty is substituted as empty, like the shell.
  EXPECT_EQ(Substituted("[${A}]", {{"A", ""}}), "[]");
  // A substituted value is not scanned again.
  EXPECT_EQ(Substituted("${A}", {{"A", "${B}"}}), "${B}");
  EXPECT_EQ(Substituted("no variables here"), "no variables here");
}

TEST(ConfigEnv, DefaultsApplyWhenUnsetOrEmpty) {
  EXPECT_EQ(Substituted("${A:-fallback}"), "fallback");
  EXPECT_EQ(Substituted("${A:-fallback}", {{"A", ""}}), "fallback");
  EXPECT_EQ(Substituted("${A:-fallback}", {{"A", "set"}}), "set");
  EXPECT_EQ(Substituted("${A:-}"), "");
  EXPECT_EQ(Substituted("${URL:-http://db:5432/x?a=b}"), "http://db:5432/x?a=b");
  EXPECT_EQ(Substituted("${HOST:-127.0.0.1}:${PORT:-8080}", {{"PORT", "9000"}}), "127.0.0.1:9000");
}

TEST(ConfigEnv, DollarEscapesAndLoneDollars) {
  EXPECT_EQ(Substituted("$$"), "$");
  EXPECT_EQ(Substituted("price: $$5"), "price: $5");
  EXPECT_EQ(Substituted("$${A}", {{"A", "x"}}), "${A}");
  EXPECT_EQ(Substituted("$$$${A}", {{"A", "x"}}), "$${A}");
  EXPECT_EQ(Substituted("^/api$"), "^/api$");
  EXPECT_EQ(Substituted("a$b $ c"), "a$b $ c");
  EXPECT_EQ(Substituted("$$${A}", {{"A", "x"}}), "$x");
}

TEST(ConfigEnv, Errors) {
  EXPECT_EQ(Substituted("${MISSING}"),
            "ERROR: environment variable 'MISSING' is not set; export it or write "
            "${MISSING:-default}");
  EXPECT_EQ(Substituted("x ${A"),
            "ERROR: unterminated '${'; close it with '}' or write '$$' for a literal '$'");
  EXPECT_EQ(Substituted("${}"),
            "ERROR: invalid variable reference '${}'; write ${NAME} or ${NAME:-default}, NAME "
            "being letters, digits and '_' not starting with a digit");
  EXPECT_EQ(Substituted("${1A}"),
            "ERROR: invalid variable reference '${1A}'; write ${NAME} or ${NAME:-default}, NAME "
            "being letters, digits and '_' not starting with a digit");
  // Other shell forms are rejected rather than passed through as literal text.
  EXPECT_EQ(Substituted("${A-x}"),
            "ERROR: invalid variable reference '${A-x}'; write ${NAME} or ${NAME:-default}, NAME "
            "being letters, digits and '_' not starting with a digit");
  EXPECT_EQ(Substituted("${A:x}"),
            "ERROR: invalid variable reference '${A:x}'; write ${NAME} or ${NAME:-default}, NAME "
            "being letters, digits and '_' not starting with a digit");
  EXPECT_EQ(Substituted("${A:-${B}}"),
            "ERROR: nested variable reference in the default of ${A}; a default is literal text, "
            "write ${A:-value}");
}

TEST(ConfigEnv, ErrorsNeverQuoteTheWholeValue) {
  // The value may be an inline password; only the reference itself is named.
  Result<std::string> out = SubstituteEnv("hunter2${", FakeEnv());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace tributary
