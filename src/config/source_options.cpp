#include "config/source_options.h"

#include <algorithm>

namespace tributary::config_internal {

namespace {

// Reads any YAML value into an OptionTree, substituting `${VAR}` in every scalar (and failing
// on an unset variable there, with its location).
Status ParseTree(const YamlReader& reader, const Value& value, bool secret, OptionTree& out) {
  out.path = value.path;
  out.location = value.location;
  if (value.node.IsNull() || !value.node.IsDefined()) {
    out.kind = OptionTree::Kind::kNull;
    return Status::Ok();
  }
  if (value.node.IsScalar()) {
    out.kind = OptionTree::Kind::kScalar;
    out.from_env = value.node.Scalar().find("${") != std::string::npos;
    TRIB_ASSIGN_OR_RETURN(out.scalar, reader.String(value, secret));
    return Status::Ok();
  }
  if (value.node.IsSequence()) {
    out.kind = OptionTree::Kind::kList;
    TRIB_ASSIGN_OR_RETURN(std::vector<Value> items, reader.Sequence(value));
    for (const auto& item : items) {
      OptionTree child;
      TRIB_RETURN_IF_ERROR(ParseTree(reader, item, secret, child));
      out.items.push_back(std::move(child));
    }
    return Status::Ok();
  }
  out.kind = OptionTree::Kind::kMap;
  TRIB_ASSIGN_OR_RETURN(std::vector<Field> fields, reader.Mapping(value));
  for (const auto& field : fields) {
    OptionTree child;
    TRIB_RETURN_IF_ERROR(ParseTree(reader, field.value, secret, child));
    child.key_location = field.key_location;
    out.fields.emplace_back(field.key, std::move(child));
  }
  return Status::Ok();
}

// Writes into `out` rather than returning Result<OptionValue>: GCC 12 at -O3 reports a
// false "maybe-uninitialized" for a variant moved through a Result.
Status ParseOption(const YamlReader& reader, const Value& value, const OptionSpec& spec,
                   OptionValue& out) {
  switch (spec.type) {
    case OptionType::kString: {
      TRIB_ASSIGN_OR_RETURN(out.emplace<std::string>(), reader.String(value, spec.secret));
      return Status::Ok();
    }
    case OptionType::kInt: {
      TRIB_ASSIGN_OR_RETURN(out.emplace<int64_t>(),
                            reader.Int(value, spec.min, spec.max, spec.secret));
      return Status::Ok();
    }
    case OptionType::kBool: {
      TRIB_ASSIGN_OR_RETURN(out.emplace<bool>(), reader.Bool(value, spec.secret));
      return Status::Ok();
    }
    case OptionType::kDouble: {
      TRIB_ASSIGN_OR_RETURN(out.emplace<double>(), reader.Double(value, spec.secret));
      return Status::Ok();
    }
    case OptionType::kStringList: {
      TRIB_ASSIGN_OR_RETURN(out.emplace<std::vector<std::string>>(),
                            reader.StringList(value, spec.secret));
      return Status::Ok();
    }
    case OptionType::kStringMap: {
      using StringMap = std::map<std::string, std::string>;
      TRIB_ASSIGN_OR_RETURN(out.emplace<StringMap>(), reader.StringMap(value, spec.secret));
      return Status::Ok();
    }
    case OptionType::kTree:
      return ParseTree(reader, value, spec.secret, out.emplace<OptionTree>());
  }
  return Internal("unhandled option type for '" + spec.name + "'");
}

}  // namespace

Result<Options> ParseSourceOptions(const YamlReader& reader, const std::vector<Field>& fields,
                                   const ConnectorFactory& factory, const Field& source) {
  // `limits` (query limits), `import_target`, `tags` and `investigate` are Tributary's own,
  // read by the config loader.
  std::vector<std::string> allowed = {"type"};
  for (const auto& spec : factory.schema) allowed.push_back(spec.name);
  allowed.push_back("limits");
  // `tags` and `investigate` (docs/investigate.md) are read by the config loader too.
  allowed.push_back("tags");
  allowed.push_back("investigate");
  const bool import_target = factory.type == "postgres" || factory.type == "clickhouse";
  if (import_target) allowed.push_back("import_target");

  Options options;
  for (const auto& field : fields) {
    if (field.key == "type" || field.key == "limits" || field.key == "tags" ||
        field.key == "investigate" || (import_target && field.key == "import_target")) {
      continue;
    }
    auto spec = std::find_if(factory.schema.begin(), factory.schema.end(),
                             [&](const OptionSpec& s) { return s.name == field.key; });
    if (spec == factory.schema.end()) {
      return reader.UnknownKey(field, allowed, factory.type + " options", "option");
    }
    Options::Entry entry{{}, field.value.location, spec->secret};
    TRIB_RETURN_IF_ERROR(ParseOption(reader, field.value, *spec, entry.value));
    options.Set(field.key, std::move(entry));
  }
  for (const auto& spec : factory.schema) {
    if (spec.required && !options.Has(spec.name)) {
      std::string fix = "add " + spec.name + ": <" + std::string(OptionTypeName(spec.type)) + ">";
      if (!spec.description.empty()) fix += " (" + spec.description + ")";
      return reader.MissingKey(source.key_location, source.value.path, spec.name, fix);
    }
  }
  // Nested options are checked by their connector once all options are known (a check may
  // depend on another option).
  for (const auto& spec : factory.schema) {
    const OptionTree* tree = options.GetTree(spec.name);
    if (spec.type == OptionType::kTree && spec.validate && tree != nullptr) {
      TRIB_RETURN_IF_ERROR(spec.validate(*tree, options));
    }
  }
  return options;
}

}  // namespace tributary::config_internal
