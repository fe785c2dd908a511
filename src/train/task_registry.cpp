#include "train/task_registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "core/error.hpp"
#include "train/gcl4sr_task.hpp"
#include "train/naml_task.hpp"

namespace rsdist::train {
namespace {

using Factory = std::unique_ptr<Task> (*)(const TaskContext&);

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> registry = {{"naml", &make_naml_task},
                                                              {"gcl4sr", &make_gcl4sr_task}};
  return registry;
}

}  // namespace

const char* split_name(Split split) { return split == Split::kDev ? "dev" : "test"; }

std::unique_ptr<Task> make_task(const std::string& name, const TaskContext& context) {
  const auto it = factories().find(name);
  RSDIST_CHECK(it != factories().end(), "--model {}: no training task for it yet (available: {})",
               name, fmt::join(registered_models(), ", "));
  return it->second(context);
}

std::vector<std::string> registered_models() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories()) names.push_back(name);
  return names;
}

}  // namespace rsdist::train
