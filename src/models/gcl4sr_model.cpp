#include "models/gcl4sr_model.hpp"

#include <ATen/ATen.h>

#include <cmath>

#include "core/error.hpp"
#include "models/gcl4sr_losses.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {
namespace {

constexpr double kLayerNormEps = 1e-12;
constexpr std::int64_t kPaddingItem = 0;  // GCL4SR's own LayerNorm (the Transformer's is 1e-5)

void check_options(const Gcl4srOptions& o) {
  RSDIST_CHECK(o.num_users > 0 && o.num_items > 1,
               "GCL4SR needs users and items (got {} users, {} item rows)", o.num_users,
               o.num_items);
  RSDIST_CHECK(o.hidden_size > 0 && o.max_seq_length > 0 && o.num_layers > 0 && o.num_heads > 0,
               "GCL4SR: hidden_size, max_seq_length, num_hidden_layers and num_attention_heads "
               "must be positive");
  RSDIST_CHECK(o.hidden_size % o.num_heads == 0,
               "GCL4SR: hidden_size {} is not a multiple of num_attention_heads {}", o.hidden_size,
               o.num_heads);
  RSDIST_CHECK(o.dropout >= 0 && o.dropout < 1, "GCL4SR: dropout {} is outside [0, 1)", o.dropout);
}

void check_batch(const SeqBatch& b, const Gcl4srOptions& o) {
  RSDIST_CHECK(b.inputs.defined() && b.inputs.dim() == 2 && b.inputs.size(1) == o.max_seq_length,
               "GCL4SR: inputs must be [B, max_seq_length = {}]", o.max_seq_length);
  RSDIST_CHECK(b.users.dim() == 1 && b.users.size(0) == b.inputs.size(0),
               "GCL4SR: users must be [B]");
  for (const GraphView& v : b.views) {
    RSDIST_CHECK(v.nodes.defined() && v.nodes.dim() == 1 && v.nodes.size(0) >= b.inputs.numel(),
                 "GCL4SR: a graph view must list the batch's {} item positions first",
                 b.inputs.numel());
  }
}

}  // namespace

Gcl4srModelImpl::Gcl4srModelImpl(const Gcl4srOptions& options)
    : options_(options),
      table_(options.item_table ? options.item_table : replicated_item_table()) {
  check_options(options);
  const std::int64_t d = options.hidden_size;
  // Row 0 is padding: the table's lookups give it no gradient (kPaddingItem).
  item_embeddings = register_module(
      "item_embeddings",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(table_->local_rows(options.num_items), d)));
  user_embeddings = register_module("user_embeddings", torch::nn::Embedding(options.num_users, d));
  position_embeddings =
      register_module("position_embeddings", torch::nn::Embedding(options.max_seq_length, d));
  TransformerOptions t;
  t.d_model = d;
  t.nhead = options.num_heads;
  t.dim_feedforward = 4 * d;
  t.dropout = options.dropout;
  t.num_layers = options.num_layers;
  item_encoder = register_module("item_encoder", TransformerEncoder(t));

  at::Generator generator = make_init_generator(options.init_seed);
  gcn = register_module("gcn", GCNConv(d, d, generator));
  sage = register_module("sage", SAGEConv(d, d, generator, /*normalize=*/true));
  w_1 = register_parameter("w_1", at::empty({2 * d, d}));
  w_2 = register_parameter("w_2", at::empty({d, 1}));
  linear_1 = register_module("linear_1", torch::nn::Linear(d, d));
  linear_2 =
      register_module("linear_2", torch::nn::Linear(torch::nn::LinearOptions(d, d).bias(false)));
  w_g = register_module("w_g", torch::nn::Linear(d, 1));
  w_e = register_module("w_e", torch::nn::Linear(d, 1));
  layer_norm = register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(kLayerNormEps)));
  linear_transform = register_module(
      "linear_transform", torch::nn::Linear(torch::nn::LinearOptions(3 * d, d).bias(false)));

  const double bound = 1.0 / std::sqrt(static_cast<double>(d));
  for (auto& p : parameters()) {
    if (p.is_same(item_embeddings->weight)) {
      draw_table_rows_(p, options.num_items, *table_,
                       [&](at::Tensor rows) { uniform_(rows, -bound, bound, generator); });
    } else {
      uniform_(p, -bound, bound, generator);
    }
  }
  gate_item = register_buffer("gate_item", at::empty({d, 1}));
  gate_user = register_buffer("gate_user", at::empty({d, options.max_seq_length}));
  xavier_uniform_(gate_item, 1.0, generator);
  xavier_uniform_(gate_user, 1.0, generator);
}

at::Tensor Gcl4srModelImpl::encode_view(const GraphView& view, std::int64_t batch) {
  const std::int64_t positions = batch * options_.max_seq_length;
  const at::Tensor x = table_->rows(item_embeddings->weight, view.nodes, kPaddingItem);
  const at::Tensor convolved = gcn->forward(x, view.edge_index, view.edge_weight);
  return sage->forward(convolved, view.edge_index, positions)
      .view({batch, options_.max_seq_length, options_.hidden_size});
}

Gcl4srForward Gcl4srModelImpl::forward(const SeqBatch& batch) {
  check_batch(batch, options_);
  const bool train = is_training();
  const std::int64_t b = batch.size();
  const at::Tensor padding = batch.inputs.eq(0);
  Gcl4srForward f;
  f.mask = padding.logical_not().to(w_1.scalar_type()).unsqueeze(-1);
  f.global_a = encode_view(batch.views[0], b);
  f.global_b = encode_view(batch.views[1], b);

  f.embedded = table_->rows(item_embeddings->weight, batch.inputs, kPaddingItem);
  f.local = item_encoder->forward(
      at::dropout(layer_norm->forward(f.embedded), options_.dropout, train), padding);

  const at::Tensor user = user_embeddings->forward(batch.users);  // [B, D]
  const at::Tensor user_gate = at::mm(user, gate_user);           // [B, L]
  const auto gated = [&](const at::Tensor& view) {
    const at::Tensor gate = at::sigmoid(at::matmul(view, gate_item).squeeze(-1) + user_gate);
    return at::dropout(view * gate.unsqueeze(2), options_.dropout, train);
  };
  f.gated_a = gated(f.global_a);
  f.gated_b = gated(f.global_b);
  f.hidden = linear_transform->forward(at::cat({f.local, f.gated_a, f.gated_b}, -1));
  return f;
}

at::Tensor Gcl4srModelImpl::attention_readout(const at::Tensor& hidden, const at::Tensor& mask) {
  const std::int64_t b = hidden.size(0), length = hidden.size(1), d = hidden.size(2);
  const at::Tensor positions =
      position_embeddings->weight.narrow(0, 0, length).unsqueeze(0).expand({b, length, d});
  const at::Tensor mean =
      ((hidden * mask).sum(-2) / mask.sum(1)).unsqueeze(-2).expand({b, length, d});
  const at::Tensor item_hidden = at::tanh(at::matmul(at::cat({positions, hidden}, -1), w_1));
  const at::Tensor score = at::sigmoid(linear_1->forward(item_hidden) + linear_2->forward(mean));
  const at::Tensor attention = at::matmul(score, w_2) * mask;  // [B, L, 1]
  return (attention * hidden).sum(1);
}

at::Tensor Gcl4srModelImpl::user_representation(const SeqBatch& batch) {
  const Gcl4srForward f = forward(batch);
  return attention_readout(f.hidden, f.mask);
}

Gcl4srLosses Gcl4srModelImpl::losses(const SeqBatch& batch, const Gcl4srLossWeights& weights) {
  const Gcl4srForward f = forward(batch);
  const bool train = is_training();
  Gcl4srLosses out;
  const at::Tensor user = at::dropout(attention_readout(f.hidden, f.mask), options_.dropout, train);
  out.main = table_->cross_entropy(user, item_embedding(), batch.targets);

  const at::Tensor count = f.mask.sum(1);
  const at::Tensor mean_a = (f.global_a * f.mask).sum(1) / count;
  const at::Tensor mean_b = (f.global_b * f.mask).sum(1) / count;
  out.gcl = graph_contrastive_loss(at::cat({mean_a, mean_b}, 0), weights.temperature);

  const at::Tensor local = w_e->forward(f.embedded).squeeze(-1);
  out.mmd = mmd_loss(local, w_g->forward(f.gated_a).squeeze(-1)) +
            mmd_loss(local, w_g->forward(f.gated_b).squeeze(-1));
  out.total = out.main + weights.lambda_gcl * out.gcl + weights.lambda_mmd * out.mmd;
  return out;
}

}  // namespace rsdist::models
