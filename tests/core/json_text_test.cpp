#include "core/json_text.h"

#include <gtest/gtest.h>

namespace tributary {
namespace {

TEST(JsonText, EscapesQuotesBackslashesAndControlCharacters) {
  std::string s;
  AppendJsonString("a\"b\\c\n\r\t\b\f\x1f", s);
  EXPECT_EQ(s, R"("a\"b\\c\n\r\t\b\f\u001f")");
  s.clear();
  AppendJsonString("héllo 🌍", s);
  EXPECT_EQ(s, "\"héllo 🌍\"");
}

}  // namespace
}  // namespace tributary
