// A trained model ready to evaluate or recommend: the training configuration it was trained with
// (the checkpoint's config.ini), its task built on a corpus, and the checkpoint's weights and task
// state loaded. Used by `rsdist evaluate` and `rsdist recommend`.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/config.hpp"
#include "ddp/communicator.hpp"
#include "train/task.hpp"

namespace rsdist::train {

struct TrainedModel {
  std::filesystem::path checkpoint;
  std::unique_ptr<Config> config;  // the Task refers to it: keep it alive (and first)
  std::unique_ptr<Task> task;
};

// `checkpoint`: a checkpoint directory, or empty for `run_dir`/checkpoints/best. `corpus`: empty
// for the corpus the run was trained on. Throws naming what is missing.
TrainedModel load_trained_model(const std::filesystem::path& run_dir,
                                const std::filesystem::path& checkpoint, const std::string& corpus,
                                at::Device device, ddp::Communicator& comm);

}  // namespace rsdist::train
