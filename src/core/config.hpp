// A resolved configuration: every option of a schema with its typed value and where it came from.
//
// Precedence: command line > config file (--config) > schema default. Errors name the option and
// its origin: "configs/naml.ini:12: unknown key 'lrr'", "invalid value 'x' for --epochs (command
// line): expected an integer", "missing required option 'corpus' ...".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/options.hpp"

namespace rsdist {

class Config {
 public:
  using Value = std::variant<std::int64_t, double, std::string, bool>;

  struct Entry {
    Value value;
    std::string text;    // canonical text (reads back to the same value)
    std::string origin;  // "default", "command line" or "file:line"
  };

  Config() = default;
  Config(const OptionSchema& schema, std::map<std::string, Entry> entries);

  bool has(const std::string& name) const { return entries_.count(name) != 0; }
  std::int64_t get_int(const std::string& name) const;
  double get_float(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  // A string option holding a comma-separated list ("64,32,16,8", "runs/gmf,runs/mlp"): the items,
  // trimmed of spaces; an empty string is an empty list, an empty item an error naming the option
  // and its origin.
  std::vector<std::string> get_string_list(const std::string& name) const;
  // The same for whole numbers of at least `minimum` each.
  std::vector<std::int64_t> get_int_list(const std::string& name, std::int64_t minimum) const;
  const std::string& origin(const std::string& name) const;
  const std::string& text(const std::string& name) const;

  // A copy in which every option still at its schema default takes the value `defaults` gives it
  // (parsed and checked like any value), with `origin` as its origin: defaults that depend on
  // another option (a model's own training defaults). Names not in the schema throw.
  Config with_defaults(const std::map<std::string, std::string>& defaults,
                       const std::string& origin) const;

  // The resolved configuration as an INI file that `--config` reads back to the same values.
  // Command-line-only options are left out; with `show_origins`, each line says where its value
  // came from.
  std::string to_ini(bool show_origins) const;

 private:
  const Entry& entry(const std::string& name, const char* wanted) const;

  std::string command_name_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, Entry> entries_;
};

// Parses `args` (the arguments after the subcommand) against `schema`. If the schema has a
// `config` option and it is given, that INI file is read as a lower-precedence source.
Config resolve_config(const OptionSchema& schema, const std::vector<std::string>& args);

// Converts `text` to the option's type and checks its range/choices; `origin` goes into errors.
Config::Value parse_option_value(const OptionSpec& spec, const std::string& text,
                                 const std::string& origin);

}  // namespace rsdist
