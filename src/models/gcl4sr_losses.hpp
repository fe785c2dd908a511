// The two auxiliary losses of GCL4SR (IJCAI 2022), as its official code computes them.
//
// graph_contrastive_loss: hidden = [a; b] (2B rows, the two graph views' mean-pooled sequence
// representations, row i of a and row i of b from the same example), L2-normalised; with
// logits_xy = x y^T / temperature and the diagonal of aa and bb pushed down by 1e9,
//   loss = CE([ab | aa], arange(B)) + CE([ba | bb], arange(B))      (each CE a batch mean)
//
// mmd_loss: the multi-kernel maximum mean discrepancy between the rows of source [B, F] and
// target [B, F]: with all 2B rows, squared distances D and bandwidth
// bw = sum(D) / (4B^2 - 2B) (no gradient through it), K = sum over i < kernel_num of
// exp(-D / (bw * kernel_mul^(i - kernel_num / 2))), and
//   loss = mean(K_ss + K_tt - K_st - K_ts)                           (over B x B).
// The reference forms D with a [2B, 2B, F] broadcast and evaluates kernel_num exponentials over
// the 2B x 2B matrix. Here D = |x|^2 + |y|^2 - 2 x.y (clamped at 0), the bandwidth comes from a
// closed form, only the three distinct B x B blocks are formed (K_ts = K_st^T), and for
// kernel_mul = 2 one exponential gives all kernels by repeated squaring: about 4x less work and no
// [2B, 2B, F] temporary. The results agree to float rounding (tests: the hand values, the
// broadcast form, and the parity test against the reference).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace rsdist::models {

at::Tensor graph_contrastive_loss(const at::Tensor& hidden, double temperature);

at::Tensor gaussian_kernel_sum(const at::Tensor& source, const at::Tensor& target,
                               double kernel_mul = 2.0, std::int64_t kernel_num = 5);

at::Tensor mmd_loss(const at::Tensor& source, const at::Tensor& target, double kernel_mul = 2.0,
                    std::int64_t kernel_num = 5);

}  // namespace rsdist::models
