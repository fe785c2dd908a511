// Adam's per-parameter state (step, exp_avg, exp_avg_sq) to and from a checkpoint, keyed by the
// parameter's name so that a checkpoint restores into a freshly built model ("state.<name>.step").
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/optim/adam.h>

#include <map>
#include <string>
#include <vector>

namespace rsdist::train {

struct NamedParameter {
  std::string name;
  at::Tensor tensor;
};

std::map<std::string, std::vector<at::Tensor>> adam_state_to_checkpoint(
    torch::optim::Adam& optimizer, const std::vector<NamedParameter>& parameters);

// Throws naming the parameter when the checkpoint lacks its state or has the wrong shape.
void restore_adam_state(torch::optim::Adam& optimizer,
                        const std::vector<NamedParameter>& parameters,
                        const std::map<std::string, std::vector<at::Tensor>>& saved);

}  // namespace rsdist::train
