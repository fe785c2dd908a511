// The schema of a subcommand's options: names, types, defaults, groups, help.
//
// One schema serves the command line (`--batch_size 64`, `--batch-size=64`), INI config files
// (`batch_size = 64` under `[train]`) and `--help`. Option names use underscores; dashes are
// accepted on the command line. Resolution (which value wins, and where it came from) lives in
// core/config.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rsdist {

enum class OptionType { kInt, kFloat, kString, kBool, kFlag };

struct OptionSpec {
  std::string name;
  std::string group;  // the INI section it belongs to
  std::string former_group;  // a section older config files (saved runs) put it in; still read
  std::string help;
  OptionType type = OptionType::kString;
  std::optional<std::string> default_text;  // canonical text of the default, if any
  bool required = false;                    // must be given when there is no default
  bool command_line_only = false;           // --config, --print_config, --force, ...
  std::optional<double> min_value;          // for kInt/kFloat
  std::optional<double> max_value;
  std::vector<std::string> choices;  // for kString; empty means free text
  int positional_index = -1;         // >= 0: also taken from the n-th positional argument

  std::string type_name() const;  // "integer", "number", "string", "true|false", "switch"
};

class OptionSchema {
 public:
  explicit OptionSchema(std::string command_name);

  // Subsequent options belong to `group` (an INI section and a --help heading).
  OptionSchema& group(std::string name);

  OptionSchema& add_int(const std::string& name, std::optional<std::int64_t> default_value,
                        std::string help);
  OptionSchema& add_float(const std::string& name, std::optional<double> default_value,
                          std::string help);
  OptionSchema& add_string(const std::string& name, std::optional<std::string> default_value,
                           std::string help);
  OptionSchema& add_bool(const std::string& name, bool default_value, std::string help);
  // A command-line switch without a value (e.g. --print_config); never read from config files.
  OptionSchema& add_flag(const std::string& name, std::string help);

  // Modifiers of the option added last.
  OptionSchema& required();
  OptionSchema& command_line_only();
  OptionSchema& at_least(double min_value);
  OptionSchema& at_most(double max_value);
  OptionSchema& choices(std::vector<std::string> allowed);
  OptionSchema& positional();  // the next free positional argument fills this option
  OptionSchema& formerly_in(std::string group);  // see OptionSpec::former_group

  const std::string& command_name() const { return command_name_; }
  const std::vector<OptionSpec>& specs() const { return specs_; }
  const OptionSpec* find(const std::string& name) const;
  // Whether any option of `group` was declared: lets several families share one group, the first
  // to build its options declaring it.
  bool has_group(const std::string& group) const;
  std::vector<const OptionSpec*> positionals() const;

  // Usage text for `--help`: options grouped, with types and defaults.
  std::string help_text(const std::string& summary) const;

 private:
  OptionSpec& add(const std::string& name, OptionType type, std::string help);
  OptionSpec& last();

  std::string command_name_;
  std::string current_group_ = "general";
  std::vector<OptionSpec> specs_;
  int next_positional_ = 0;
};

// Formats a double so that it reads back exactly ("0.0001", "1e-05", "4").
std::string format_number(double value);

// The options every subcommand has: --config (an INI file) and --log_level.
void add_common_options(OptionSchema& schema);

}  // namespace rsdist
