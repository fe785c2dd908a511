// The two graph convolutions of GCL4SR's graph encoder, as PyTorch Geometric's GCNConv and SAGEConv
// with the options GCL4SR uses, run on the bipartite blocks of seq::sample_neighbors
// (data/seq/neighbor_sampler.hpp) given as tensors:
//
//   edge_index [2, E] int64: row 0 = source (local id, a row of x), row 1 = target (local id); the
//   targets of a block are the first `num_targets` sources (PyG NeighborSampler's layout).
//
// Propagation is index_select/index_add_ on the tensors' device: no host loop over edges, so the
// layers run as they are on CPU and CUDA. Parameter names match PyG's state_dict (`lin.weight`,
// `bias`; `lin_l.weight`, `lin_l.bias`, `lin_r.weight`) so that weights can be compared with it.
// Both constructors draw their initial weights from `generator` (see seeded_init.hpp for why).
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace rsdist::models {

// PyG GCNConv(in, out) with its defaults (add_self_loops, normalize, bias, flow source_to_target):
//
//   w      = edge_weight (ones when undefined), after PyG's add_remaining_self_loops over all N
//            nodes of x: existing self-loops (source == target) are dropped and every node gets one
//            loop, of weight 1 or the weight its dropped self-loop had;
//   deg    = scatter_add(w, target, dim_size = N)          (weighted in-degree, loops included)
//   norm_e = deg^-1/2[source] * w_e * deg^-1/2[target]     (inf from deg 0 masked to 0)
//   out    = scatter_add(norm_e * (x W^T)[source] -> target) + bias        -> [N, out]
//
// As in PyG the output has a row for every node of x, not only the block's targets: GCL4SR feeds
// it whole to the SAGEConv that follows. A node that is no edge's target gets deg = 1 (its loop),
// so its row is x_i W^T + bias. Initialisation as PyG: Glorot-uniform weight, zero bias.
class GCNConvImpl : public torch::nn::Module {
 public:
  GCNConvImpl(std::int64_t in_channels, std::int64_t out_channels, at::Generator& generator);

  // x [N, in]; edge_index [2, E] int64 with every id in [0, N); edge_weight [E] or undefined.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& edge_index,
                     const at::Tensor& edge_weight = at::Tensor());

  torch::nn::Linear lin{nullptr};  // no bias: the bias is added after propagation
  at::Tensor bias;                 // [out]
};
TORCH_MODULE(GCNConv);

// PyG SAGEConv(in, out, normalize=True) with its other defaults (aggr "mean", root_weight, bias),
// called as GCL4SR does, on (x_src, x_src[:num_targets]):
//
//   mean_i = mean of x_src[source] over the edges into target i   (0 for a target without any)
//   out_i  = lin_l(mean_i) + lin_r(x_src[i])     lin_l with bias, lin_r without
//   out_i /= max(||out_i||_2, 1e-12)             (when normalize; F.normalize(out, p=2, dim=-1))
//
// No self-loops are added and edge weights are not used. Initialisation as PyG's Linear (that of
// torch.nn.Linear): weights and bias uniform(+-1/sqrt(in)).
class SAGEConvImpl : public torch::nn::Module {
 public:
  SAGEConvImpl(std::int64_t in_channels, std::int64_t out_channels, at::Generator& generator,
               bool normalize = true);

  // x_src [Ns, in]; edge_index [2, E] int64, sources in [0, Ns), targets in [0, num_targets);
  // 0 <= num_targets <= Ns -> [num_targets, out].
  at::Tensor forward(const at::Tensor& x_src, const at::Tensor& edge_index,
                     std::int64_t num_targets);

  torch::nn::Linear lin_l{nullptr};  // applied to the neighbour mean, with bias
  torch::nn::Linear lin_r{nullptr};  // applied to the target itself (root weight), no bias

 private:
  bool normalize_;
};
TORCH_MODULE(SAGEConv);

}  // namespace rsdist::models
