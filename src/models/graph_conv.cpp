#include "models/graph_conv.hpp"

#include <ATen/ATen.h>
#include <fmt/ranges.h>

#include <cmath>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {
namespace {

void check_channels(const char* layer, std::int64_t in_channels, std::int64_t out_channels) {
  RSDIST_CHECK(in_channels > 0 && out_channels > 0,
               "{} needs positive in/out channels, got in = {}, out = {}", layer, in_channels,
               out_channels);
}

void check_features(const char* layer, const at::Tensor& x, std::int64_t in_channels) {
  RSDIST_CHECK(x.defined() && x.dim() == 2 && x.size(1) == in_channels,
               "{} expects node features [N, {}], got [{}]", layer, in_channels,
               x.defined() ? fmt::format("{}", fmt::join(x.sizes(), ", ")) : "undefined");
}

// Shape, type and device of a block's edge_index, and every id in range. The range check reads one
// bool back from the device: cheap next to the layer, and it turns a CUDA device-side assert (or a
// silent wrong result) into a message.
void check_edge_index(const char* layer, const at::Tensor& edge_index, std::int64_t num_sources,
                      std::int64_t num_targets, const at::Tensor& x) {
  RSDIST_CHECK(
      edge_index.defined() && edge_index.dim() == 2 && edge_index.size(0) == 2,
      "{} expects edge_index [2, E], got [{}]", layer,
      edge_index.defined() ? fmt::format("{}", fmt::join(edge_index.sizes(), ", ")) : "undefined");
  RSDIST_CHECK(edge_index.scalar_type() == at::kLong, "{} expects an int64 edge_index, got {}",
               layer, at::toString(edge_index.scalar_type()));
  RSDIST_CHECK(edge_index.device() == x.device(),
               "{}: edge_index is on {} but the node features are on {}", layer,
               edge_index.device().str(), x.device().str());
  if (edge_index.size(1) == 0) return;
  const at::Tensor source = edge_index[0];
  const at::Tensor target = edge_index[1];
  const bool in_range =
      ((source >= 0) & (source < num_sources) & (target >= 0) & (target < num_targets))
          .all()
          .item<bool>();
  RSDIST_CHECK(in_range,
               "{}: edge_index has a source outside [0, {}) or a target outside [0, {}) (local ids "
               "of the block)",
               layer, num_sources, num_targets);
}

}  // namespace

GCNConvImpl::GCNConvImpl(std::int64_t in_channels, std::int64_t out_channels,
                         at::Generator& generator) {
  check_channels("GCNConv", in_channels, out_channels);
  lin = register_module(
      "lin", torch::nn::Linear(torch::nn::LinearOptions(in_channels, out_channels).bias(false)));
  bias = register_parameter("bias", at::zeros({out_channels}));
  xavier_uniform_(lin->weight, 1.0, generator);
}

// Note [GCN self-loops without dynamic shapes]
// PyG's add_remaining_self_loops drops the self-loop edges and appends one loop per node whose
// weight is the dropped loop's (or 1). Selecting the edges to drop would give a data-dependent
// shape (a device sync on CUDA); instead the loop edges stay in place with weight 0, which adds
// nothing to a degree or a sum, and their weights are scattered into the per-node loop weights
// through one spare slot (index N) that absorbs the non-loop edges and is then cut off.
at::Tensor GCNConvImpl::forward(const at::Tensor& x, const at::Tensor& edge_index,
                                const at::Tensor& edge_weight) {
  check_features("GCNConv", x, lin->options.in_features());
  const std::int64_t num_nodes = x.size(0);
  check_edge_index("GCNConv", edge_index, num_nodes, num_nodes, x);
  const std::int64_t num_edges = edge_index.size(1);
  if (edge_weight.defined()) {
    RSDIST_CHECK(edge_weight.dim() == 1 && edge_weight.size(0) == num_edges,
                 "GCNConv expects edge_weight [E] = [{}] like edge_index, got [{}]", num_edges,
                 fmt::join(edge_weight.sizes(), ", "));
    RSDIST_CHECK(edge_weight.device() == x.device(),
                 "GCNConv: edge_weight is on {} but the node features are on {}",
                 edge_weight.device().str(), x.device().str());
  }

  const at::Tensor h = lin(x);  // PyG transforms first, then propagates
  // The normalisation in at least float32, also when h is reduced precision.
  const at::ScalarType norm_type = at::promote_types(h.scalar_type(), at::kFloat);
  const at::Tensor source = edge_index[0];
  const at::Tensor target = edge_index[1];
  const at::Tensor weight = edge_weight.defined()
                                ? edge_weight.to(norm_type)
                                : at::ones({num_edges}, h.options().dtype(norm_type));

  // See Note [GCN self-loops without dynamic shapes].
  const at::Tensor is_loop = source == target;
  const at::Tensor loop_slot = at::where(is_loop, source, num_nodes);
  const at::Tensor loop_weight = at::ones({num_nodes + 1}, weight.options())
                                     .scatter(0, loop_slot, weight)
                                     .narrow(0, 0, num_nodes);
  const at::Tensor edge_w = weight.masked_fill(is_loop, 0.0);

  const at::Tensor degree = loop_weight.index_add(0, target, edge_w);
  at::Tensor deg_inv_sqrt = degree.pow(-0.5);
  deg_inv_sqrt = deg_inv_sqrt.masked_fill(at::isinf(deg_inv_sqrt), 0.0);
  const at::Tensor edge_norm =
      deg_inv_sqrt.index_select(0, source) * edge_w * deg_inv_sqrt.index_select(0, target);
  const at::Tensor loop_norm = deg_inv_sqrt * loop_weight * deg_inv_sqrt;

  const at::Tensor messages =
      h.index_select(0, source) * edge_norm.to(h.scalar_type()).unsqueeze(1);
  const at::Tensor out =
      (h * loop_norm.to(h.scalar_type()).unsqueeze(1)).index_add(0, target, messages);
  return out + bias;
}

SAGEConvImpl::SAGEConvImpl(std::int64_t in_channels, std::int64_t out_channels,
                           at::Generator& generator, bool normalize)
    : normalize_(normalize) {
  check_channels("SAGEConv", in_channels, out_channels);
  lin_l = register_module("lin_l",
                          torch::nn::Linear(torch::nn::LinearOptions(in_channels, out_channels)));
  lin_r = register_module(
      "lin_r", torch::nn::Linear(torch::nn::LinearOptions(in_channels, out_channels).bias(false)));
  // torch.nn.Linear's kaiming_uniform(a = sqrt(5)) reduces to uniform(+-1/sqrt(fan_in)).
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_channels));
  uniform_(lin_l->weight, -bound, bound, generator);
  uniform_(lin_l->bias, -bound, bound, generator);
  uniform_(lin_r->weight, -bound, bound, generator);
}

at::Tensor SAGEConvImpl::forward(const at::Tensor& x_src, const at::Tensor& edge_index,
                                 std::int64_t num_targets) {
  check_features("SAGEConv", x_src, lin_l->options.in_features());
  const std::int64_t num_sources = x_src.size(0);
  RSDIST_CHECK(num_targets >= 0 && num_targets <= num_sources,
               "SAGEConv: num_targets = {} must lie in [0, {}] (the targets are the first sources "
               "of the block)",
               num_targets, num_sources);
  check_edge_index("SAGEConv", edge_index, num_sources, num_targets, x_src);
  const std::int64_t num_edges = edge_index.size(1);
  const at::Tensor source = edge_index[0];
  const at::Tensor target = edge_index[1];

  const at::Tensor sums = at::zeros({num_targets, x_src.size(1)}, x_src.options())
                              .index_add(0, target, x_src.index_select(0, source));
  const at::Tensor counts = at::zeros({num_targets}, x_src.options())
                                .index_add(0, target, at::ones({num_edges}, x_src.options()));
  const at::Tensor means = sums / counts.clamp_min(1.0).unsqueeze(1);  // 0 without neighbours

  at::Tensor out = lin_l(means) + lin_r(x_src.narrow(0, 0, num_targets));
  if (normalize_) {
    out = out / at::linalg_vector_norm(out, 2, {-1}, /*keepdim=*/true).clamp_min(1e-12);
  }
  return out;
}

}  // namespace rsdist::models
