// FusedAdam (PyTorch's fused kernel over LibTorch's Adam state) against torch::optim::Adam: the
// same parameters after several steps with weight decay, a parameter without a gradient left
// untouched, and its state saved and restored through the checkpoint format's functions.
#include "train/fused_adam.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "train/optimizer_state.hpp"

namespace rsdist::train {
namespace {

std::vector<at::Tensor> make_params() {
  at::Generator g = at::detail::createCPUGenerator(3);
  return {at::randn({5, 4}, g).requires_grad_(), at::randn({7}, g).requires_grad_(),
          at::randn({3}, g).requires_grad_()};
}

// Gradients of step s (the third parameter never gets one).
void set_grads(std::vector<at::Tensor>& params, int s) {
  at::Generator g = at::detail::createCPUGenerator(100 + s);
  for (std::size_t i = 0; i < 2; ++i) params[i].mutable_grad() = at::randn(params[i].sizes(), g);
}

TEST(FusedAdam, MatchesLibTorchsAdamAndLeavesUnusedParametersAlone) {
  auto a = make_params(), b = make_params();
  const auto options = torch::optim::AdamOptions(0.01).weight_decay(0.1).betas({0.8, 0.95});
  torch::optim::Adam reference(a, options);
  FusedAdam fused(b, options);
  const at::Tensor untouched = b[2].detach().clone();
  for (int s = 0; s < 6; ++s) {
    set_grads(a, s);
    set_grads(b, s);
    reference.step();
    fused.step();
  }
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(at::allclose(a[i], b[i], 1e-6, 1e-7)) << i << " " << (a[i] - b[i]).abs().max();
    EXPECT_FALSE(at::allclose(b[i], make_params()[i]));  // it moved
  }
  EXPECT_TRUE(at::equal(b[2], untouched));
  // The state is Adam's: saved by name, restored into a fresh optimizer, the next step agrees.
  const std::vector<NamedParameter> named = {{"w", b[0]}, {"v", b[1]}, {"u", b[2]}};
  const auto saved = adam_state_to_checkpoint(fused, named);
  EXPECT_EQ(saved.at("state.w.step")[0].item<double>(), 6.0);
  auto c = make_params();
  for (std::size_t i = 0; i < 3; ++i) c[i].data().copy_(b[i]);
  FusedAdam restored(c, options);
  restore_adam_state(restored, {{"w", c[0]}, {"v", c[1]}, {"u", c[2]}}, saved);
  set_grads(b, 6);
  set_grads(c, 6);
  fused.step();
  restored.step();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(at::equal(b[i], c[i])) << i;
}

}  // namespace
}  // namespace rsdist::train
