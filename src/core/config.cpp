#include "core/config.hpp"

#include <algorithm>
#include <boost/program_options/errors.hpp>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "core/ini.hpp"

namespace rsdist {
namespace po = boost::program_options;

namespace {

constexpr const char* kCommandLine = "command line";

// "--batch-size=3" -> "--batch_size=3": dashes inside long option names become underscores.
std::string normalize_argument(const std::string& arg) {
  if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) return arg;
  const auto eq = arg.find('=');
  std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return "--" + name + (eq == std::string::npos ? "" : arg.substr(eq));
}

// Prefix for error messages: "file:line: " for config entries, "" for the command line.
std::string where_prefix(const std::string& origin) {
  return origin == kCommandLine ? "" : origin + ": ";
}

std::string display_name(const OptionSpec& spec, const std::string& origin) {
  return origin == kCommandLine ? "--" + spec.name : "'" + spec.name + "'";
}

std::string canonical_text(const Config::Value& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return format_number(*d);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return std::get<std::string>(value);
}

po::options_description build_description(const OptionSchema& schema) {
  po::options_description desc;
  for (const auto& spec : schema.specs()) {
    if (spec.type == OptionType::kFlag) {
      desc.add_options()(spec.name.c_str(), po::bool_switch());
    } else {
      desc.add_options()(spec.name.c_str(), po::value<std::string>());
    }
  }
  return desc;
}

std::string translate_parse_error(const OptionSchema& schema, const po::error& e) {
  const std::string see = fmt::format("(see '{} --help')", schema.command_name());
  if (const auto* u = dynamic_cast<const po::unknown_option*>(&e)) {
    return fmt::format("unknown option '{}' for {} {}", u->get_option_name(), schema.command_name(),
                       see);
  }
  if (dynamic_cast<const po::too_many_positional_options_error*>(&e) != nullptr) {
    return fmt::format("too many positional arguments for {} {}", schema.command_name(), see);
  }
  return fmt::format("{} {}", e.what(), see);
}

}  // namespace

Config::Value parse_option_value(const OptionSpec& spec, const std::string& text,
                                 const std::string& origin) {
  const std::string where = where_prefix(origin);
  const std::string name = display_name(spec, origin);
  const std::string suffix = origin == kCommandLine ? " (command line)" : "";
  auto fail_type = [&]() -> Error {
    return Error(fmt::format("{}invalid value '{}' for {}{}: expected {}", where, text, name,
                             suffix, spec.type_name() == "string" ? "a string" : spec.type_name()),
                 __FILE__, __LINE__);
  };
  auto check_range = [&](double v) {
    if (spec.min_value && v < *spec.min_value) {
      RSDIST_THROW("{}invalid value '{}' for {}{}: must be >= {}", where, text, name, suffix,
                   format_number(*spec.min_value));
    }
    if (spec.max_value && v > *spec.max_value) {
      RSDIST_THROW("{}invalid value '{}' for {}{}: must be <= {}", where, text, name, suffix,
                   format_number(*spec.max_value));
    }
  };
  switch (spec.type) {
    case OptionType::kInt: {
      std::int64_t v = 0;
      const char* end = text.data() + text.size();
      const auto [ptr, ec] = std::from_chars(text.data(), end, v);
      if (text.empty() || ec != std::errc() || ptr != end) throw fail_type();
      check_range(static_cast<double>(v));
      return v;
    }
    case OptionType::kFloat: {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
        throw fail_type();
      }
      check_range(v);
      return v;
    }
    case OptionType::kBool:
    case OptionType::kFlag: {
      for (const char* t : {"true", "1", "yes", "on"}) {
        if (text == t) return true;
      }
      for (const char* f : {"false", "0", "no", "off"}) {
        if (text == f) return false;
      }
      throw fail_type();
    }
    case OptionType::kString:
      if (!spec.choices.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
        RSDIST_THROW("{}invalid value '{}' for {}{}: expected one of {}", where, text, name, suffix,
                     spec.type_name());
      }
      return text;
  }
  throw fail_type();
}

Config::Config(const OptionSchema& schema, std::map<std::string, Entry> entries)
    : command_name_(schema.command_name()), specs_(schema.specs()), entries_(std::move(entries)) {}

const Config::Entry& Config::entry(const std::string& name, const char* wanted) const {
  const auto it = entries_.find(name);
  RSDIST_CHECK(it != entries_.end(), "option '{}' of {} has no value ({} wanted)", name,
               command_name_, wanted);
  return it->second;
}

Config Config::with_defaults(const std::map<std::string, std::string>& defaults,
                             const std::string& origin) const {
  Config out = *this;
  for (const auto& [name, text] : defaults) {
    const auto spec = std::find_if(specs_.begin(), specs_.end(),
                                   [&](const OptionSpec& s) { return s.name == name; });
    RSDIST_CHECK(spec != specs_.end(), "{}: no option '{}' to give a default", command_name_, name);
    const auto it = out.entries_.find(name);
    if (it != out.entries_.end() && it->second.origin != "default") continue;
    const Value value = parse_option_value(*spec, text, origin);
    out.entries_[name] = {value, canonical_text(value), origin};
  }
  return out;
}

std::int64_t Config::get_int(const std::string& name) const {
  const auto* v = std::get_if<std::int64_t>(&entry(name, "integer").value);
  RSDIST_CHECK(v != nullptr, "option '{}' is not an integer", name);
  return *v;
}

std::vector<std::string> Config::get_string_list(const std::string& name) const {
  const std::string& text = get_string(name);
  std::vector<std::string> items;
  const auto trim = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return std::string(v);
  };
  if (trim(text).empty()) return items;
  std::string_view rest(text);
  while (true) {
    const auto comma = rest.find(',');
    items.push_back(trim(rest.substr(0, comma)));
    RSDIST_CHECK(!items.back().empty(), "invalid value '{}' for --{} ({}): an empty list item",
                 text, name, origin(name));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return items;
}

std::vector<std::int64_t> Config::get_int_list(const std::string& name,
                                               std::int64_t minimum) const {
  std::vector<std::int64_t> values;
  for (const std::string& item : get_string_list(name)) {
    std::int64_t v = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), v);
    RSDIST_CHECK(error == std::errc() && end == item.data() + item.size() && v >= minimum,
                 "invalid value '{}' for --{} ({}): '{}' is not a whole number of at least {}",
                 get_string(name), name, origin(name), item, minimum);
    values.push_back(v);
  }
  return values;
}

double Config::get_float(const std::string& name) const {
  const auto& value = entry(name, "number").value;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  const auto* v = std::get_if<double>(&value);
  RSDIST_CHECK(v != nullptr, "option '{}' is not a number", name);
  return *v;
}

const std::string& Config::get_string(const std::string& name) const {
  const auto* v = std::get_if<std::string>(&entry(name, "string").value);
  RSDIST_CHECK(v != nullptr, "option '{}' is not a string", name);
  return *v;
}

bool Config::get_bool(const std::string& name) const {
  const auto* v = std::get_if<bool>(&entry(name, "true|false").value);
  RSDIST_CHECK(v != nullptr, "option '{}' is not a true|false option", name);
  return *v;
}

const std::string& Config::origin(const std::string& name) const {
  return entry(name, "any").origin;
}

const std::string& Config::text(const std::string& name) const { return entry(name, "any").text; }

std::string Config::to_ini(bool show_origins) const {
  std::string out = fmt::format("# resolved configuration of {}\n", command_name_);
  std::string group;
  for (const auto& spec : specs_) {
    if (spec.command_line_only) continue;
    const auto it = entries_.find(spec.name);
    if (it == entries_.end()) continue;
    if (spec.group != group) {
      group = spec.group;
      out += fmt::format("\n[{}]\n", group);
    }
    std::string line = fmt::format("{} = {}", spec.name, it->second.text);
    if (show_origins) line = fmt::format("{:<40} # {}", line, it->second.origin);
    out += line + "\n";
  }
  return out;
}

Config resolve_config(const OptionSchema& schema, const std::vector<std::string>& args) {
  std::vector<std::string> normalized;
  normalized.reserve(args.size());
  for (const auto& arg : args) normalized.push_back(normalize_argument(arg));

  const auto desc = build_description(schema);
  po::positional_options_description positional;
  for (const auto* spec : schema.positionals()) positional.add(spec->name.c_str(), 1);

  po::parsed_options parsed(&desc);
  try {
    // No prefix guessing: "--epoch" must not silently mean "--epochs".
    const int style =
        po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    parsed =
        po::command_line_parser(normalized).options(desc).positional(positional).style(style).run();
  } catch (const po::error& e) {
    throw Error(translate_parse_error(schema, e), __FILE__, __LINE__);
  }

  std::map<std::string, Config::Entry> entries;
  for (const auto& option : parsed.options) {
    const OptionSpec* spec = schema.find(option.string_key);
    RSDIST_CHECK(spec != nullptr, "unknown option '{}' for {}", option.string_key,
                 schema.command_name());
    RSDIST_CHECK(entries.count(spec->name) == 0, "option --{} given more than once", spec->name);
    const std::string text = spec->type == OptionType::kFlag
                                 ? "true"
                                 : (option.value.empty() ? "" : option.value.front());
    auto value = parse_option_value(*spec, text, kCommandLine);
    entries[spec->name] = {value, canonical_text(value), kCommandLine};
  }

  const auto config_it = entries.find("config");
  if (config_it != entries.end() && schema.find("config") != nullptr) {
    const std::string path = std::get<std::string>(config_it->second.value);
    for (const auto& item : read_ini_file(path)) {
      const OptionSpec* spec = schema.find(item.key);
      RSDIST_CHECK(spec != nullptr, "{}: unknown key '{}' for {} (see '{} --help')", item.where(),
                   item.key, schema.command_name(), schema.command_name());
      RSDIST_CHECK(!spec->command_line_only, "{}: '{}' can only be given on the command line",
                   item.where(), item.key);
      RSDIST_CHECK(item.section.empty() || item.section == spec->group ||
                       (!spec->former_group.empty() && item.section == spec->former_group),
                   "{}: key '{}' belongs in section [{}], not [{}]", item.where(), item.key,
                   spec->group, item.section);
      auto value = parse_option_value(*spec, item.value, item.where());
      if (entries.count(spec->name) != 0) continue;  // the command line wins
      entries[spec->name] = {value, canonical_text(value), item.where()};
    }
  }

  for (const auto& spec : schema.specs()) {
    if (entries.count(spec.name) != 0) continue;
    if (spec.default_text) {
      auto value = parse_option_value(spec, *spec.default_text, "default");
      entries[spec.name] = {value, canonical_text(value), "default"};
    } else if (spec.required) {
      if (spec.command_line_only || schema.find("config") == nullptr) {
        RSDIST_THROW("missing required option --{} for {}", spec.name, schema.command_name());
      }
      RSDIST_THROW(
          "missing required option '{}' for {}: pass --{} or set '{} = ...' under [{}] "
          "in the --config file",
          spec.name, schema.command_name(), spec.name, spec.name, spec.group);
    }
  }
  return Config(schema, std::move(entries));
}

}  // namespace rsdist
