// The SQL template of a metric pack (syntax: docs/packs.md, "Template").
//
// A template is parsed once, when its pack loads, into a small tree; rendering walks the tree
// and produces SQL text plus the values to bind. Values never enter the text: every {{@name}}
// becomes the dialect's placeholder and its value goes to the parameter list. The only text a
// render adds is the dataset's table expression (built from identifiers checked against the
// source's schema and quoted) and loop numbers ({{i}}, {{j}}), which are integers it counts.
// Thread-safety: a parsed SqlTemplate is immutable; Render is a pure function.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/value.h"

namespace tributary {

enum class PlaceholderStyle {
  //! $1, $2, ...; a name used twice reuses its number (PostgreSQL, DuckDB).
  kDollar,
  //! ?, one value per occurrence (MySQL, SQLite, ClickHouse).
  kQuestion,
  //! @name (BigQuery); loop items become @list_i or @list_i_field.
  kNamed,
};

struct TemplateNode {
  enum class Kind {
    kText,        //!< `text` as is
    kTable,       //!< {{table}}
    kParam,       //!< {{@text}}
    kItem,        //!< {{@item}} (text empty) or {{@item.text}}
    kIndex,       //!< {{i}}
    kInnerIndex,  //!< {{j}}
    kLoop,        //!< {{#text}} body {{/text}}
    kNotFirst,    //!< {{^first}} body {{/first}}
    kUpto,        //!< {{#upto}} body {{/upto}}
  };
  Kind kind = Kind::kText;
  std::string text;
  std::vector<TemplateNode> body;
};

class SqlTemplate {
 public:
  //! INVALID_ARGUMENT "template line L, column C: problem" for an unknown tag, an unclosed or
  //! mismatched block, or a loop-only tag outside a loop.
  static Result<SqlTemplate> Parse(std::string_view text);

  const std::vector<TemplateNode>& nodes() const { return nodes_; }
  const std::string& source() const { return source_; }

 private:
  std::vector<TemplateNode> nodes_;
  std::string source_;
};

//! One item of a list being looped over: field -> value; a plain string item has the one
//! field "" ({{@item}}).
using TemplateItem = std::map<std::string, Value>;

struct TemplateContext {
  PlaceholderStyle placeholder = PlaceholderStyle::kQuestion;
  //! What {{table}} becomes (already quoted / built by the caller).
  std::string table_sql;
  std::map<std::string, Value> values;
  std::map<std::string, std::vector<TemplateItem>> lists;
};

struct RenderedSql {
  std::string sql;
  std::vector<Value> params;
  //! For kNamed: the name of each parameter in `params`; for the others, the template name
  //! each placeholder stands for (for logs and golden files).
  std::vector<std::string> param_names;
};

//! INVALID_ARGUMENT when the template names a value or list the context lacks.
Result<RenderedSql> RenderTemplate(const SqlTemplate& tmpl, const TemplateContext& context);

//! Calls `visit` for every node in the tree, depth first, with the loop it sits in ("" at top).
void VisitTemplate(const std::vector<TemplateNode>& nodes, std::string_view loop,
                   const std::function<void(const TemplateNode&, std::string_view loop)>& visit);

}  // namespace tributary
