// Seeded parameter initialisation for every model, drawn from a generator the model owns.
//
// LibTorch's torch::nn::init draws from the process-wide default generator, so the initial weights
// would depend on whatever ran before the model was built. These helpers take the generator
// explicitly: a model seeded with `init_seed` starts from the same weights wherever it is built.
// NAML's scheme (rsdist's choice, the usual one for news recommenders; naml_model.cpp and its
// modules):
//   * Linear and Conv1d weights: Xavier/Glorot uniform, bound = gain * sqrt(6 / (fan_in + fan_out))
//     with fans as PyTorch computes them (receptive field included for convolutions); gain 5/3 for
//     the first layer of an additive attention (followed by tanh), sqrt(2) for layers followed by a
//     ReLU, 1 otherwise;
//   * biases: zero;
//   * category and subcategory embeddings: uniform(-0.1, 0.1);
//   * word embeddings: copied from the corpus's GloVe matrix, row 0 (<PAD>) zero.
// GCL4SR's (gcl4sr_model.cpp) is the official code's: every parameter uniform(+-1/sqrt(D)), the
// fixed gates Xavier. NCF's, NeuMF's and Mult-VAE's are their reference codes' (ncf_model.hpp,
// neumf_model.hpp, multvae_model.hpp).
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace rsdist::models {

inline constexpr double kTanhGain = 5.0 / 3.0;           // torch.nn.init.calculate_gain("tanh")
inline constexpr double kReluGain = 1.4142135623730951;  // calculate_gain("relu") = sqrt(2)

// A CPU generator seeded with `seed` (parameters are initialised on the CPU, then moved).
at::Generator make_init_generator(std::uint64_t seed);

// In place, without recording autograd history. `weight` is [out, in, kernel...] (dim >= 2).
void xavier_uniform_(at::Tensor weight, double gain, at::Generator& generator);
void uniform_(at::Tensor tensor, double low, double high, at::Generator& generator);
void normal_(at::Tensor tensor, double mean, double std, at::Generator& generator);
// N(0, std^2) cut at +-2 std, values outside drawn again (TensorFlow's truncated_normal).
void truncated_normal_(at::Tensor tensor, double std, at::Generator& generator);
void zeros_(at::Tensor tensor);

}  // namespace rsdist::models
