// The pack SQL template: parsing errors name the line and column, and rendering binds every
// value as a parameter in the dialect's placeholder style, never as text.
#include "metrics/sql_template.h"

#include <gtest/gtest.h>

namespace tributary {
namespace {

SqlTemplate MustParse(std::string_view text) {
  Result<SqlTemplate> t = SqlTemplate::Parse(text);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : SqlTemplate{};
}

std::string ParseError(std::string_view text) {
  Result<SqlTemplate> t = SqlTemplate::Parse(text);
  return t.ok() ? "(parsed)" : std::string(t.status().message());
}

TemplateContext Context(PlaceholderStyle style) {
  TemplateContext c;
  c.placeholder = style;
  c.table_sql = "\"t\"";
  c.values = {{"from", Value::Int64(1)}, {"to", Value::Int64(2)}, {"name", Value::String("x'y")}};
  c.lists = {{"steps",
              {{{"", Value::String("a")}}, {{"", Value::String("b")}}, {{"", Value::String("c")}}}},
             {"rules",
              {{{"match", Value::String("/home")}, {"name", Value::String("Home")}},
               {{"match", Value::String("/x")}, {"name", Value::String("X")}}}}};
  return c;
}

TEST(SqlTemplate, DollarPlaceholdersReuseTheNumberOfARepeatedName) {
  SqlTemplate t = MustParse(
      "SELECT * FROM {{table}} AS l WHERE ts >= {{@from}} AND ts < {{@to}} "
      "AND ts <> {{@from}}");
  auto r = RenderTemplate(t, Context(PlaceholderStyle::kDollar));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sql, "SELECT * FROM \"t\" AS l WHERE ts >= $1 AND ts < $2 AND ts <> $1");
  ASSERT_EQ(r->params.size(), 2u);
  EXPECT_EQ(r->params[0], Value::Int64(1));
  EXPECT_EQ(r->params[1], Value::Int64(2));
  EXPECT_EQ(r->param_names, (std::vector<std::string>{"from", "to"}));
}

TEST(SqlTemplate, QuestionPlaceholdersBindOneValuePerOccurrence) {
  SqlTemplate t = MustParse("a {{@from}} b {{@to}} c {{@from}}");
  auto r = RenderTemplate(t, Context(PlaceholderStyle::kQuestion));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sql, "a ? b ? c ?");
  EXPECT_EQ(r->params, (std::vector<Value>{Value::Int64(1), Value::Int64(2), Value::Int64(1)}));
}

TEST(SqlTemplate, NamedPlaceholdersKeepNamesAndNameLoopItems) {
  SqlTemplate t = MustParse("{{@from}} {{#steps}}{{@item}} {{/steps}}{{@from}}");
  auto r = RenderTemplate(t, Context(PlaceholderStyle::kNamed));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sql, "@from @steps_1 @steps_2 @steps_3 @from");
  EXPECT_EQ(r->param_names, (std::vector<std::string>{"from", "steps_1", "steps_2", "steps_3"}));
}

TEST(SqlTemplate, ValuesNeverEnterTheText) {
  SqlTemplate t = MustParse("WHERE name = {{@name}}");
  auto r = RenderTemplate(t, Context(PlaceholderStyle::kQuestion));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sql.find("x'y"), std::string::npos);
  EXPECT_EQ(r->params, (std::vector<Value>{Value::String("x'y")}));
}

TEST(SqlTemplate, LoopsWithIndexSeparatorsAndPrefixes) {
  SqlTemplate t = MustParse(
      "{{#steps}}{{^first}} UNION ALL {{/first}}SELECT {{i}} WHERE 1=1{{#upto}} AND s{{j}}=1"
      "{{/upto}}{{/steps}}");
  auto r = RenderTemplate(t, Context(PlaceholderStyle::kQuestion));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sql,
            "SELECT 1 WHERE 1=1 AND s1=1 UNION ALL SELECT 2 WHERE 1=1 AND s1=1 AND s2=1 UNION ALL "
            "SELECT 3 WHERE 1=1 AND s1=1 AND s2=1 AND s3=1");
  EXPECT_TRUE(r->params.empty());
}

TEST(SqlTemplate, LoopItemFieldsAreBound) {
  SqlTemplate t = MustParse(
      "CASE{{#rules}} WHEN x ~ {{@item.match}} THEN {{@item.name}}{{/rules}}"
      " ELSE 'Other' END");
  auto r = RenderTemplate(t, Context(PlaceholderStyle::kDollar));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sql, "CASE WHEN x ~ $1 THEN $2 WHEN x ~ $3 THEN $4 ELSE 'Other' END");
  EXPECT_EQ(r->params, (std::vector<Value>{Value::String("/home"), Value::String("Home"),
                                           Value::String("/x"), Value::String("X")}));
  EXPECT_EQ(r->param_names[2], "rules_2_match");
}

TEST(SqlTemplate, MissingValuesAreErrorsAtRender) {
  SqlTemplate t = MustParse("{{@nope}}");
  auto r = RenderTemplate(t, Context(PlaceholderStyle::kDollar));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("{{@nope}}"), std::string::npos);
  SqlTemplate loop = MustParse("{{#nolist}}x{{/nolist}}");
  EXPECT_FALSE(RenderTemplate(loop, Context(PlaceholderStyle::kDollar)).ok());
}

TEST(SqlTemplate, ParseErrorsNameLineColumnAndProblem) {
  EXPECT_EQ(ParseError("SELECT\n  {{bogus}}"),
            "template line 2, column 3: unknown tag {{bogus}}; tags are {{table}}, {{@name}}, "
            "{{#list}}...{{/list}}, {{@item}}, {{i}}, {{^first}}, {{#upto}}, {{j}}");
  EXPECT_EQ(ParseError("a {{@from"), "template line 1, column 3: '{{' is never closed by '}}'");
  EXPECT_EQ(ParseError("{{#steps}} x"), "template line 1, column 13: {{#steps}} is never closed");
  EXPECT_EQ(ParseError("{{#steps}}{{/rules}}"),
            "template line 1, column 11: {{/rules}} where {{/steps}} was expected");
  EXPECT_EQ(ParseError("{{/steps}}"), "template line 1, column 1: {{/steps}} closes nothing");
  EXPECT_EQ(ParseError("{{i}}"), "template line 1, column 1: {{i}} outside a loop");
  EXPECT_EQ(ParseError("{{#steps}}{{j}}{{/steps}}"),
            "template line 1, column 11: {{j}} outside {{#upto}}");
  EXPECT_EQ(ParseError("{{@item}}"), "template line 1, column 1: {{@item}} outside a loop");
  EXPECT_EQ(ParseError("{{#a}}{{#b}}{{/b}}{{/a}}"),
            "template line 1, column 7: loops cannot nest (use {{#upto}})");
  EXPECT_EQ(ParseError("{{@bad-name}}"),
            "template line 1, column 1: bad parameter name in {{@bad-name}}");
  EXPECT_EQ(ParseError("{{^last}}{{/last}}"),
            "template line 1, column 1: the only {{^...}} block is {{^first}}");
}

TEST(SqlTemplate, TextWithoutTagsIsUnchanged) {
  const std::string sql = "SELECT '{' || \"}\" FROM t -- {not a tag}\n";
  auto r = RenderTemplate(MustParse(sql), Context(PlaceholderStyle::kDollar));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sql, sql);
}

}  // namespace
}  // namespace tributary
