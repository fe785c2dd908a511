// A model's parameters and buffers to and from the name -> tensor maps checkpoints hold.
#include <ATen/core/grad_mode.h>
#include <fmt/ranges.h>
#include <torch/nn/module.h>

#include "core/error.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::train {
namespace fs = std::filesystem;
namespace {

// Every parameter and buffer of `model` by name, as the tensors themselves (not copies).
std::map<std::string, at::Tensor> named_tensors(torch::nn::Module& model) {
  std::map<std::string, at::Tensor> out;
  for (auto& item : model.named_parameters(/*recurse=*/true)) out[item.key()] = item.value();
  for (auto& item : model.named_buffers(/*recurse=*/true)) out[item.key()] = item.value();
  return out;
}

void copy_checked(at::Tensor& target, const at::Tensor& source_tensor, const std::string& name,
                  const fs::path& source) {
  RSDIST_CHECK(source_tensor.sizes() == target.sizes(),
               "{}: '{}' has shape {} but the model (as configured) has {}", source.string(), name,
               fmt::join(source_tensor.sizes(), "x"), fmt::join(target.sizes(), "x"));
  target.copy_(source_tensor);
}

}  // namespace

std::map<std::string, at::Tensor> model_state(torch::nn::Module& model) {
  std::map<std::string, at::Tensor> state;
  for (const auto& [name, tensor] : named_tensors(model)) state[name] = tensor.detach();
  return state;
}

void load_model_state(torch::nn::Module& model, const std::map<std::string, at::Tensor>& state,
                      const fs::path& source) {
  at::NoGradGuard no_grad;
  for (auto& [name, target] : named_tensors(model)) {
    const auto it = state.find(name);
    RSDIST_CHECK(it != state.end(), "{}: no tensor '{}' for this model (another model or config?)",
                 source.string(), name);
    copy_checked(target, it->second, name, source);
  }
}

MatchingLoad load_matching_state(torch::nn::Module& model,
                                 const std::map<std::string, at::Tensor>& state,
                                 const fs::path& source) {
  at::NoGradGuard no_grad;
  MatchingLoad report;
  auto targets = named_tensors(model);
  for (auto& [name, target] : targets) {
    const auto it = state.find(name);
    if (it == state.end()) {
      report.initial.push_back(name);
      continue;
    }
    copy_checked(target, it->second, name, source);
    report.loaded.push_back(name);
  }
  for (const auto& [name, tensor] : state) {
    if (!targets.count(name)) report.unused.push_back(name);
  }
  return report;
}

}  // namespace rsdist::train
