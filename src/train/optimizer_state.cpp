#include "train/optimizer_state.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/scalar_tensor.h>
#include <fmt/ranges.h>

#include "core/error.hpp"

namespace rsdist::train {

std::map<std::string, std::vector<at::Tensor>> adam_state_to_checkpoint(
    torch::optim::Adam& optimizer, const std::vector<NamedParameter>& parameters) {
  std::map<std::string, std::vector<at::Tensor>> out;
  auto& state = optimizer.state();
  for (const auto& p : parameters) {
    const auto it = state.find(p.tensor.unsafeGetTensorImpl());
    if (it == state.end()) continue;  // no step taken yet
    const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
    out["state." + p.name + ".step"] = {
        at::scalar_tensor(static_cast<double>(s.step()), at::kDouble)};
    out["state." + p.name + ".exp_avg"] = {s.exp_avg().detach()};
    out["state." + p.name + ".exp_avg_sq"] = {s.exp_avg_sq().detach()};
  }
  return out;
}

void restore_adam_state(torch::optim::Adam& optimizer,
                        const std::vector<NamedParameter>& parameters,
                        const std::map<std::string, std::vector<at::Tensor>>& saved) {
  auto& state = optimizer.state();
  state.clear();
  at::NoGradGuard no_grad;
  for (const auto& p : parameters) {
    const auto step = saved.find("state." + p.name + ".step");
    if (step == saved.end()) continue;
    const auto get = [&](const char* field) {
      const auto it = saved.find("state." + p.name + "." + field);
      RSDIST_CHECK(it != saved.end() && it->second.size() == 1,
                   "checkpoint optimizer state lacks {}.{}", p.name, field);
      const at::Tensor& t = it->second.front();
      RSDIST_CHECK(t.sizes() == p.tensor.sizes(),
                   "checkpoint optimizer state {}.{} has shape {} but the parameter has {}", p.name,
                   field, fmt::join(t.sizes(), "x"), fmt::join(p.tensor.sizes(), "x"));
      return t.to(p.tensor.device(), p.tensor.scalar_type()).clone();
    };
    auto s = std::make_unique<torch::optim::AdamParamState>();
    s->step(static_cast<std::int64_t>(step->second.front().item<double>()));
    s->exp_avg(get("exp_avg"));
    s->exp_avg_sq(get("exp_avg_sq"));
    state[p.tensor.unsafeGetTensorImpl()] = std::move(s);
  }
}

}  // namespace rsdist::train
