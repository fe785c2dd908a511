#include "models/ncf_model.hpp"

#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/activation.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {

NcfModelImpl::NcfModelImpl(NcfOptions options) : options_(std::move(options)) {
  const NcfOptions& o = options_;
  RSDIST_CHECK(o.num_users > 0 && o.num_items > 0, "NCF needs users and items (got {} and {})",
               o.num_users, o.num_items);
  RSDIST_CHECK(o.embed_dim >= 1, "--embed_dim must be at least 1 (got {})", o.embed_dim);
  RSDIST_CHECK(!o.mlp_dims.empty(), "--mlp_dims needs at least one layer");
  at::Generator generator = make_init_generator(o.init_seed);
  embedding_ =
      register_module("embedding", torch::nn::Embedding(o.num_users + o.num_items, o.embed_dim));
  xavier_uniform_(embedding_->weight, 1.0, generator);
  mlp_ = register_module("mlp", torch::nn::Sequential());
  std::int64_t in = 2 * o.embed_dim;
  for (const std::int64_t width : o.mlp_dims) {
    RSDIST_CHECK(width >= 1, "--mlp_dims: every width must be at least 1 (got {})", width);
    torch::nn::Linear linear(in, width);
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    uniform_(linear->weight, -bound, bound, generator);
    uniform_(linear->bias, -bound, bound, generator);
    mlp_->push_back(linear);
    mlp_->push_back(torch::nn::BatchNorm1d(width));
    mlp_->push_back(torch::nn::ReLU());
    mlp_->push_back(torch::nn::Dropout(o.dropout));
    in = width;
  }
  fc_ = register_module("fc", torch::nn::Linear(o.mlp_dims.back() + o.embed_dim, 1));
  const double bound = 1.0 / std::sqrt(static_cast<double>(o.mlp_dims.back() + o.embed_dim));
  uniform_(fc_->weight, -bound, bound, generator);
  uniform_(fc_->bias, -bound, bound, generator);
}

at::Tensor NcfModelImpl::forward(const at::Tensor& users, const at::Tensor& items) {
  const at::Tensor user_x = embedding_->forward(users);
  const at::Tensor item_x = embedding_->forward(items + options_.num_users);
  const at::Tensor mlp = mlp_->forward(at::cat({user_x, item_x}, 1));
  return fc_->forward(at::cat({user_x * item_x, mlp}, 1)).squeeze(1);
}

at::Tensor NcfModelImpl::score_all_items(const at::Tensor& users) {
  const std::int64_t items = options_.num_items;
  const std::int64_t slice = std::max<std::int64_t>(1, (std::int64_t{1} << 20) / items);
  const at::Tensor all_items = at::arange(items, users.options());
  std::vector<at::Tensor> slices;
  for (std::int64_t start = 0; start < users.size(0); start += slice) {
    const at::Tensor u = users.narrow(0, start, std::min(slice, users.size(0) - start));
    const at::Tensor pair_users = u.unsqueeze(1).expand({u.size(0), items}).reshape({-1});
    const at::Tensor pair_items = all_items.repeat({u.size(0)});
    slices.push_back(forward(pair_users, pair_items).view({u.size(0), items}));
  }
  return slices.size() == 1 ? slices[0] : at::cat(slices, 0);
}

}  // namespace rsdist::models
