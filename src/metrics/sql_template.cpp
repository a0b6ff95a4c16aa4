#include "metrics/sql_template.h"

#include <algorithm>
#include <cctype>

namespace tributary {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsName(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<std::vector<TemplateNode>> Run() {
    std::vector<TemplateNode> nodes;
    TRIB_RETURN_IF_ERROR(ParseBlock(nodes, "", 0, 0));
    return nodes;
  }

 private:
  // Parses until the closing tag `closing` (empty at top level). `loop_depth` counts
  // enclosing loops, `upto_depth` enclosing {{#upto}} blocks.
  Status ParseBlock(std::vector<TemplateNode>& out, std::string_view closing, int loop_depth,
                    int upto_depth) {
    while (pos_ < text_.size()) {
      size_t open = text_.find("{{", pos_);
      if (open == std::string_view::npos) {
        AppendText(out, text_.substr(pos_));
        pos_ = text_.size();
        break;
      }
      AppendText(out, text_.substr(pos_, open - pos_));
      size_t close = text_.find("}}", open + 2);
      if (close == std::string_view::npos) return ErrorAt(open, "'{{' is never closed by '}}'");
      std::string_view tag = Trim(text_.substr(open + 2, close - open - 2));
      size_t tag_pos = open;
      pos_ = close + 2;
      TemplateNode node;
      if (tag == "table") {
        node.kind = TemplateNode::Kind::kTable;
      } else if (tag == "i" || tag == "j") {
        if (tag == "i" && loop_depth == 0) return ErrorAt(tag_pos, "{{i}} outside a loop");
        if (tag == "j" && upto_depth == 0) return ErrorAt(tag_pos, "{{j}} outside {{#upto}}");
        node.kind = tag == "i" ? TemplateNode::Kind::kIndex : TemplateNode::Kind::kInnerIndex;
      } else if (!tag.empty() && tag[0] == '@') {
        std::string_view name = tag.substr(1);
        if (name == "item" || name.substr(0, 5) == "item.") {
          if (loop_depth == 0) return ErrorAt(tag_pos, "{{@item}} outside a loop");
          node.kind = TemplateNode::Kind::kItem;
          if (name.size() > 4) {
            node.text = std::string(name.substr(5));
            if (!IsName(node.text))
              return ErrorAt(tag_pos, "bad item field in {{" + std::string(tag) + "}}");
          }
        } else {
          if (!IsName(name)) {
            return ErrorAt(tag_pos, "bad parameter name in {{" + std::string(tag) + "}}");
          }
          node.kind = TemplateNode::Kind::kParam;
          node.text = std::string(name);
        }
      } else if (!tag.empty() && (tag[0] == '#' || tag[0] == '^')) {
        std::string_view name = tag.substr(1);
        if (tag[0] == '^') {
          if (name != "first") return ErrorAt(tag_pos, "the only {{^...}} block is {{^first}}");
          if (loop_depth == 0) return ErrorAt(tag_pos, "{{^first}} outside a loop");
          node.kind = TemplateNode::Kind::kNotFirst;
        } else if (name == "upto") {
          if (loop_depth == 0) return ErrorAt(tag_pos, "{{#upto}} outside a loop");
          node.kind = TemplateNode::Kind::kUpto;
        } else {
          if (!IsName(name))
            return ErrorAt(tag_pos, "bad loop name in {{" + std::string(tag) + "}}");
          if (loop_depth > 0) return ErrorAt(tag_pos, "loops cannot nest (use {{#upto}})");
          node.kind = TemplateNode::Kind::kLoop;
          node.text = std::string(name);
        }
        std::string block = std::string(name);
        TRIB_RETURN_IF_ERROR(ParseBlock(
            node.body, block, loop_depth + (node.kind == TemplateNode::Kind::kLoop ? 1 : 0),
            upto_depth + (node.kind == TemplateNode::Kind::kUpto ? 1 : 0)));
      } else if (!tag.empty() && tag[0] == '/') {
        std::string_view name = tag.substr(1);
        if (closing.empty() || name != closing) {
          return ErrorAt(tag_pos, closing.empty() ? "{{" + std::string(tag) + "}} closes nothing"
                                                  : "{{" + std::string(tag) + "}} where {{/" +
                                                        std::string(closing) + "}} was expected");
        }
        return Status::Ok();
      } else {
        return ErrorAt(tag_pos, "unknown tag {{" + std::string(tag) +
                                    "}}; tags are {{table}}, {{@name}}, {{#list}}...{{/list}}, "
                                    "{{@item}}, {{i}}, {{^first}}, {{#upto}}, {{j}}");
      }
      out.push_back(std::move(node));
    }
    if (!closing.empty()) {
      return ErrorAt(text_.size(), "{{#" + std::string(closing) + "}} is never closed");
    }
    return Status::Ok();
  }

  static void AppendText(std::vector<TemplateNode>& out, std::string_view text) {
    if (text.empty()) return;
    if (!out.empty() && out.back().kind == TemplateNode::Kind::kText) {
      out.back().text += text;
      return;
    }
    TemplateNode node;
    node.text = std::string(text);
    out.push_back(std::move(node));
  }

  Status ErrorAt(size_t offset, const std::string& problem) const {
    int line = 1;
    int column = 1;
    for (size_t i = 0; i < offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return InvalidArgument("template line " + std::to_string(line) + ", column " +
                           std::to_string(column) + ": " + problem);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

class Renderer {
 public:
  explicit Renderer(const TemplateContext& context) : context_(context) {}

  Status Render(const std::vector<TemplateNode>& nodes) { return Walk(nodes); }
  RenderedSql Take() { return std::move(out_); }

 private:
  Status Walk(const std::vector<TemplateNode>& nodes) {
    for (const auto& node : nodes) {
      switch (node.kind) {
        case TemplateNode::Kind::kText:
          out_.sql += node.text;
          break;
        case TemplateNode::Kind::kTable:
          out_.sql += context_.table_sql;
          break;
        case TemplateNode::Kind::kParam: {
          auto it = context_.values.find(node.text);
          if (it == context_.values.end()) {
            return InvalidArgument("the template uses {{@" + node.text +
                                   "}}, which this metric does not provide");
          }
          Bind(node.text, it->second);
          break;
        }
        case TemplateNode::Kind::kItem: {
          const TemplateItem& item = (*items_)[item_index_];
          auto it = item.find(node.text);
          if (it == item.end()) {
            return InvalidArgument("the template uses {{@item" +
                                   (node.text.empty() ? "" : "." + node.text) + "}}, which the " +
                                   loop_ + " items do not have");
          }
          std::string name = loop_ + "_" + std::to_string(item_index_ + 1);
          if (!node.text.empty()) name += "_" + node.text;
          Bind(name, it->second);
          break;
        }
        case TemplateNode::Kind::kIndex:
          out_.sql += std::to_string(item_index_ + 1);
          break;
        case TemplateNode::Kind::kInnerIndex:
          out_.sql += std::to_string(inner_index_ + 1);
          break;
        case TemplateNode::Kind::kLoop: {
          auto it = context_.lists.find(node.text);
          if (it == context_.lists.end()) {
            return InvalidArgument("the template loops over {{#" + node.text +
                                   "}}, which this metric does not provide");
          }
          items_ = &it->second;
          loop_ = node.text;
          for (item_index_ = 0; item_index_ < items_->size(); ++item_index_) {
            TRIB_RETURN_IF_ERROR(Walk(node.body));
          }
          items_ = nullptr;
          item_index_ = 0;
          break;
        }
        case TemplateNode::Kind::kNotFirst:
          if (item_index_ > 0) TRIB_RETURN_IF_ERROR(Walk(node.body));
          break;
        case TemplateNode::Kind::kUpto:
          for (inner_index_ = 0; inner_index_ <= item_index_; ++inner_index_) {
            TRIB_RETURN_IF_ERROR(Walk(node.body));
          }
          inner_index_ = 0;
          break;
      }
    }
    return Status::Ok();
  }

  void Bind(const std::string& name, const Value& value) {
    switch (context_.placeholder) {
      case PlaceholderStyle::kDollar: {
        auto [it, inserted] = dollar_numbers_.emplace(name, out_.params.size() + 1);
        if (inserted) {
          out_.params.push_back(value);
          out_.param_names.push_back(name);
        }
        out_.sql.push_back('$');
        out_.sql.append(std::to_string(it->second));
        break;
      }
      case PlaceholderStyle::kQuestion:
        out_.sql += "?";
        out_.params.push_back(value);
        out_.param_names.push_back(name);
        break;
      case PlaceholderStyle::kNamed:
        out_.sql.push_back('@');
        out_.sql.append(name);
        if (std::find(out_.param_names.begin(), out_.param_names.end(), name) ==
            out_.param_names.end()) {
          out_.params.push_back(value);
          out_.param_names.push_back(name);
        }
        break;
    }
  }

  const TemplateContext& context_;
  RenderedSql out_;
  std::map<std::string, size_t> dollar_numbers_;
  const std::vector<TemplateItem>* items_ = nullptr;
  std::string loop_;
  size_t item_index_ = 0;
  size_t inner_index_ = 0;
};

}  // namespace

Result<SqlTemplate> SqlTemplate::Parse(std::string_view text) {
  Parser parser(text);
  TRIB_ASSIGN_OR_RETURN(std::vector<TemplateNode> nodes, parser.Run());
  SqlTemplate tmpl;
  tmpl.nodes_ = std::move(nodes);
  tmpl.source_ = std::string(text);
  return tmpl;
}

Result<RenderedSql> RenderTemplate(const SqlTemplate& tmpl, const TemplateContext& context) {
  Renderer renderer(context);
  TRIB_RETURN_IF_ERROR(renderer.Render(tmpl.nodes()));
  return renderer.Take();
}

void VisitTemplate(const std::vector<TemplateNode>& nodes, std::string_view loop,
                   const std::function<void(const TemplateNode&, std::string_view loop)>& visit) {
  for (const auto& node : nodes) {
    visit(node, loop);
    if (!node.body.empty()) {
      VisitTemplate(node.body, node.kind == TemplateNode::Kind::kLoop ? node.text : loop, visit);
    }
  }
}

}  // namespace tributary
