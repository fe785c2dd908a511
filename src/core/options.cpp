#include "core/options.hpp"

#include <algorithm>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <sstream>

#include "core/error.hpp"

namespace rsdist {
namespace po = boost::program_options;

std::string format_number(double value) {
  // {fmt} prints the shortest text that reads back to the same double ("10", "0.0001", "5e-05").
  return fmt::format("{}", value);
}

std::string OptionSpec::type_name() const {
  switch (type) {
    case OptionType::kInt:
      return "integer";
    case OptionType::kFloat:
      return "number";
    case OptionType::kBool:
      return "true|false";
    case OptionType::kFlag:
      return "switch";
    case OptionType::kString:
      break;
  }
  if (!choices.empty()) {
    std::string joined;
    for (const auto& c : choices) joined += (joined.empty() ? "" : "|") + c;
    return joined;
  }
  return "string";
}

OptionSchema::OptionSchema(std::string command_name) : command_name_(std::move(command_name)) {}

OptionSchema& OptionSchema::group(std::string name) {
  current_group_ = std::move(name);
  return *this;
}

OptionSpec& OptionSchema::add(const std::string& name, OptionType type, std::string help) {
  RSDIST_CHECK(find(name) == nullptr, "option '{}' declared twice for {}", name, command_name_);
  RSDIST_CHECK(name.find('-') == std::string::npos, "option name '{}' must use underscores", name);
  OptionSpec spec;
  spec.name = name;
  spec.group = current_group_;
  spec.help = std::move(help);
  spec.type = type;
  specs_.push_back(std::move(spec));
  return specs_.back();
}

bool OptionSchema::has_group(const std::string& group) const {
  return std::any_of(specs_.begin(), specs_.end(),
                     [&](const OptionSpec& spec) { return spec.group == group; });
}

OptionSchema& OptionSchema::formerly_in(std::string group) {
  last().former_group = std::move(group);
  return *this;
}

OptionSpec& OptionSchema::last() {
  RSDIST_CHECK(!specs_.empty(), "option modifier used before any option of {}", command_name_);
  return specs_.back();
}

OptionSchema& OptionSchema::add_int(const std::string& name, std::optional<std::int64_t> def,
                                    std::string help) {
  auto& spec = add(name, OptionType::kInt, std::move(help));
  if (def) spec.default_text = std::to_string(*def);
  return *this;
}

OptionSchema& OptionSchema::add_float(const std::string& name, std::optional<double> def,
                                      std::string help) {
  auto& spec = add(name, OptionType::kFloat, std::move(help));
  if (def) spec.default_text = format_number(*def);
  return *this;
}

OptionSchema& OptionSchema::add_string(const std::string& name, std::optional<std::string> def,
                                       std::string help) {
  add(name, OptionType::kString, std::move(help)).default_text = std::move(def);
  return *this;
}

OptionSchema& OptionSchema::add_bool(const std::string& name, bool def, std::string help) {
  add(name, OptionType::kBool, std::move(help)).default_text = def ? "true" : "false";
  return *this;
}

OptionSchema& OptionSchema::add_flag(const std::string& name, std::string help) {
  auto& spec = add(name, OptionType::kFlag, std::move(help));
  spec.default_text = "false";
  spec.command_line_only = true;
  return *this;
}

OptionSchema& OptionSchema::required() {
  last().required = true;
  return *this;
}

OptionSchema& OptionSchema::command_line_only() {
  last().command_line_only = true;
  return *this;
}

OptionSchema& OptionSchema::at_least(double min_value) {
  last().min_value = min_value;
  return *this;
}

OptionSchema& OptionSchema::at_most(double max_value) {
  last().max_value = max_value;
  return *this;
}

OptionSchema& OptionSchema::choices(std::vector<std::string> allowed) {
  RSDIST_CHECK(last().type == OptionType::kString, "choices() on non-string option '{}'",
               last().name);
  last().choices = std::move(allowed);
  return *this;
}

OptionSchema& OptionSchema::positional() {
  last().positional_index = next_positional_++;
  return *this;
}

const OptionSpec* OptionSchema::find(const std::string& name) const {
  for (const auto& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::vector<const OptionSpec*> OptionSchema::positionals() const {
  std::vector<const OptionSpec*> out(static_cast<std::size_t>(next_positional_), nullptr);
  for (const auto& spec : specs_) {
    if (spec.positional_index >= 0) out[static_cast<std::size_t>(spec.positional_index)] = &spec;
  }
  return out;
}

std::string OptionSchema::help_text(const std::string& summary) const {
  std::ostringstream out;
  out << "Usage: " << command_name_;
  for (const auto* spec : positionals()) out << " <" << spec->name << ">";
  out << " [options]\n\n" << summary << "\n";
  out << "\nOptions may also be set in an INI file given by --config (key = value, under the\n"
         "[section] shown below); the command line wins over the file. Dashes and underscores\n"
         "in option names are interchangeable on the command line.\n";
  std::vector<std::string> groups;
  for (const auto& spec : specs_) {
    if (std::find(groups.begin(), groups.end(), spec.group) == groups.end()) {
      groups.push_back(spec.group);
    }
  }
  for (const auto& group : groups) {
    po::options_description desc("[" + group + "]", 100, 50);
    for (const auto& spec : specs_) {
      if (spec.group != group) continue;
      std::string help = spec.help;
      if (spec.type == OptionType::kFlag) {
        desc.add_options()(spec.name.c_str(), help.c_str());
        continue;
      }
      if (spec.default_text) help += fmt::format(" (default: {})", *spec.default_text);
      if (spec.required) help += " (required)";
      if (spec.command_line_only) help += " (command line only)";
      if (spec.positional_index >= 0) help += " (also positional)";
      auto* semantic = po::value<std::string>()->value_name(spec.type_name());
      desc.add_options()(spec.name.c_str(), semantic, help.c_str());
    }
    out << "\n" << desc;
  }
  return out.str();
}

void add_common_options(OptionSchema& schema) {
  schema.group("general")
      .add_string("config", std::nullopt, "INI file with options (the command line wins)")
      .command_line_only()
      .add_string("log_level", "info", "logging level")
      .choices({"trace", "debug", "info", "warn", "error", "critical", "off"});
}

}  // namespace rsdist
