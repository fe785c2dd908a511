// Tasks by model name: "naml" -> NamlTask, ... A new model registers a factory here and the
// trainer, `rsdist evaluate` and `rsdist recommend` work for it unchanged.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "train/task.hpp"

namespace rsdist::train {

struct TaskContext {
  const Config& config;  // the resolved `rsdist train` configuration (train_options.hpp)
  at::Device device;     // where the model runs
  int rank = 0;
  int world = 1;
};

// Throws naming the model and the known ones when `name` has no task.
std::unique_ptr<Task> make_task(const std::string& name, const TaskContext& context);
std::vector<std::string> registered_models();

}  // namespace rsdist::train
