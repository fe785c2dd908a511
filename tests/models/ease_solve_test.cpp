// EASE's closed form against a direct dense solve in float64 on a small binary matrix: diag(B) = 0
// and X B equal to the reference; float32 and float64; the memory guard's arithmetic and message.
#include "models/ease_solve.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "support/error_of.hpp"

namespace rsdist::models {
namespace {

TEST(EaseSolve, EqualsTheDenseClosedForm) {
  at::Generator g = at::detail::createCPUGenerator(5);
  const at::Tensor x = at::bernoulli(at::full({40, 12}, 0.3, at::kDouble), g);
  const at::Tensor gram = at::matmul(x.t(), x);
  const double lambda = 3.0;
  // Reference: P = (G + lambda I)^-1 by a general inverse, B = I - P diag(1 / diag(P)).
  const at::Tensor p = at::linalg_inv(gram + lambda * at::eye(12, at::kDouble));
  const at::Tensor reference = at::eye(12, at::kDouble) - p / p.diagonal().unsqueeze(0);
  for (const at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    const at::Tensor b = ease_weights(gram.to(dtype), lambda);
    EXPECT_EQ(b.scalar_type(), dtype);
    EXPECT_EQ(b.diagonal().abs().max().item<double>(), 0.0);
    EXPECT_TRUE(at::allclose(at::matmul(x.to(dtype), b).to(at::kDouble), at::matmul(x, reference),
                             1e-5, 1e-5));
  }
  // The Gram matrix is left as it was.
  const at::Tensor copy = gram.clone();
  ease_weights(gram, lambda);
  EXPECT_TRUE(at::equal(gram, copy));
  EXPECT_ANY_THROW(ease_weights(gram, 0.0));
  EXPECT_ANY_THROW(ease_weights(gram.narrow(0, 0, 5), 1.0));
}

// The device solve (Cholesky on CUDA, float32 and float64) gives the CPU's B.
TEST(EaseSolve, CudaMatchesCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  at::Generator g = at::detail::createCPUGenerator(6);
  const at::Tensor x = at::bernoulli(at::full({300, 64}, 0.2, at::kDouble), g);
  const at::Tensor gram = at::matmul(x.t(), x);
  for (const at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    const at::Tensor cpu = ease_weights(gram.to(dtype), 50.0);
    const at::Tensor cuda = ease_weights(gram.to(at::Device(at::kCUDA, 0), dtype), 50.0);
    EXPECT_TRUE(cuda.is_cuda());
    EXPECT_EQ(cuda.diagonal().abs().max().item<double>(), 0.0);
    EXPECT_TRUE(at::allclose(cuda.cpu(), cpu, 1e-4, 1e-5)) << dtype;
  }
}

TEST(EaseSolve, RefusesASolveThatDoesNotFitNamingTheNumbers) {
  // 27,278 items (ML-20M) in float32: 3 x 4 + 4 bytes per item pair = 11.9 GB.
  EXPECT_EQ(ease_solve_bytes(27278, at::kFloat), 27278LL * 27278 * 16);
  EXPECT_EQ(ease_solve_bytes(10, at::kDouble), 100 * 28);
  const std::string message = rsdist::testing::error_of(
      [] { check_ease_memory(27278, at::kFloat, std::int64_t{8'000'000'000}, "cuda:0"); });
  EXPECT_NE(message.find("EASE on 27278 items needs 11.91 GB for its solve"), std::string::npos)
      << message;
  EXPECT_NE(message.find("but cuda:0 has 8.00 GB available"), std::string::npos) << message;
  check_ease_memory(27278, at::kFloat, std::int64_t{12'000'000'000}, "cpu");  // fits
  check_ease_memory(27278, at::kFloat, std::nullopt, "cpu");                  // unknown: no check
}

}  // namespace
}  // namespace rsdist::models
