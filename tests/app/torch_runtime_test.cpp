// LibTorch as installed by scripts/setup.sh links and computes, and is the version CMake found.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/version.h>

namespace {

TEST(TorchRuntime, VersionMatchesTheOneCMakeFound) {
  EXPECT_EQ(std::string(TORCH_VERSION).substr(0, std::string(RSDIST_TORCH_VERSION).size()),
            RSDIST_TORCH_VERSION);
}

TEST(TorchRuntime, CpuTensorsCompute) {
  const at::Tensor a = at::arange(6, at::kFloat).reshape({2, 3});
  const at::Tensor b = at::ones({3, 2});
  const at::Tensor c = at::matmul(a, b);
  EXPECT_FLOAT_EQ(c[0][0].item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(c[1][1].item<float>(), 12.0f);
}

}  // namespace
