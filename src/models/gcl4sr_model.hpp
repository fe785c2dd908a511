// GCL4SR, "Enhancing Sequential Recommendation with Graph Contrastive Learning" (IJCAI 2022), as
// its official code and seed 004 compute it, on a SeqBatch (models/seq_batch.hpp):
//
//  * local view: item embeddings of the L-item window -> LayerNorm(eps 1e-12) -> dropout ->
//    Transformer encoder (transformer_encoder.hpp; causal + padding mask). No position embedding
//    is added here: the position embeddings are read by the final attention only.
//  * two global views: for each sampled neighbourhood, GCNConv (edge-weighted, self-loops) then
//    SAGEConv (mean, root weight, L2-normalised) over the sampled block (graph_conv.hpp), giving
//    one vector per item position (Note [The one block GCL4SR uses] in seq_batch.hpp).
//  * user-specific gating of each view: g = sigmoid(view . gate_item + user . gate_user[:, pos]),
//    view * g, then dropout.
//  * hidden = linear_transform([local | gated a | gated b]) per position; the final attention net
//    (position embeddings, w_1, w_2, linear_1, linear_2, masked to real positions) pools it into
//    the user representation, scored against every item embedding.
//  * losses (gcl4sr_losses.hpp): main = cross-entropy of the user representation (after dropout)
//    against all item embeddings; GCL between the views' masked means (temperature); MMD between
//    w_e(item embeddings of the window) and w_g(each gated view), both as [B, L];
//    total = main + lambda_gcl * GCL + lambda_mmd * (MMD_a + MMD_b).
//
// Note [GCL4SR's fixed gates]: the official model keeps gate_item [D, 1] and gate_user [D, L] as
// plain tensors, not parameters, so its optimizer never updates them: they stay at their Xavier
// initialisation. They are buffers here (saved with the model, never trained), which keeps that
// behaviour and makes a reloaded model score exactly as the trained one.
//
// Initialisation as the official code ends up doing: its _init_weights loop re-draws *every*
// parameter uniform(+-1/sqrt(D)) when applied to the root module last, so that is what every
// parameter gets here (LayerNorm weights included), from a generator seeded with init_seed; the
// gates are Xavier-uniform.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>

#include "models/graph_conv.hpp"
#include "models/item_table.hpp"
#include "models/seq_batch.hpp"
#include "models/transformer_encoder.hpp"

namespace rsdist::models {

struct Gcl4srOptions {
  std::int64_t num_users = 0;  // rows of the user embedding (the corpus' users)
  std::int64_t num_items = 0;  // rows of the item embedding: largest item id + 1 (0 = padding)
  std::int64_t hidden_size = 64;
  std::int64_t max_seq_length = 50;
  std::int64_t num_layers = 2;
  std::int64_t num_heads = 2;
  double dropout = 0.5;
  std::uint64_t init_seed = 0;
  // How the item embeddings are reached (models/item_table.hpp); null: replicated. Sharded, the
  // model's item_embeddings hold this rank's rows only and every forward is a collective.
  std::shared_ptr<ItemTable> item_table;
};

struct Gcl4srLossWeights {
  double lambda_gcl = 1.0;
  double lambda_mmd = 0.1;
  double temperature = 0.5;
};

struct Gcl4srLosses {
  at::Tensor total, main, gcl, mmd;  // scalars; total has the graph
};

// Everything forward computes, for the losses and the tests.
struct Gcl4srForward {
  at::Tensor embedded;            // [B, L, D] item embeddings of the window
  at::Tensor local;               // [B, L, D] Transformer output
  at::Tensor hidden;              // [B, L, D] after linear_transform
  at::Tensor gated_a, gated_b;    // [B, L, D] gated views after dropout
  at::Tensor global_a, global_b;  // [B, L, D] raw graph-encoder outputs
  at::Tensor mask;                // [B, L, 1] float, 1 at real positions
};

class Gcl4srModelImpl : public torch::nn::Module {
 public:
  explicit Gcl4srModelImpl(const Gcl4srOptions& options);

  Gcl4srForward forward(const SeqBatch& batch);
  // The final attention net: [B, L, D] hidden and [B, L, 1] mask -> [B, D].
  at::Tensor attention_readout(const at::Tensor& hidden, const at::Tensor& mask);
  // The user representation scored against item_embedding() (eval_stage in the reference).
  at::Tensor user_representation(const SeqBatch& batch);
  Gcl4srLosses losses(const SeqBatch& batch, const Gcl4srLossWeights& weights);
  // The item rows this rank holds: [num_items, D] (row i scores item i), or with a sharded table
  // its rows i = rank, rank + world, ... (Note [Cyclic item sharding]).
  const at::Tensor& item_embedding() const { return item_embeddings->weight; }

  const Gcl4srOptions& options() const { return options_; }

  torch::nn::Embedding item_embeddings{nullptr}, user_embeddings{nullptr},
      position_embeddings{nullptr};
  TransformerEncoder item_encoder{nullptr};
  GCNConv gcn{nullptr};
  SAGEConv sage{nullptr};
  at::Tensor w_1, w_2;  // [2D, D], [D, 1]
  torch::nn::Linear linear_1{nullptr}, linear_2{nullptr}, w_g{nullptr}, w_e{nullptr},
      linear_transform{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};
  at::Tensor gate_item, gate_user;  // buffers, Note [GCL4SR's fixed gates]

 private:
  at::Tensor encode_view(const GraphView& view, std::int64_t batch);

  Gcl4srOptions options_;
  std::shared_ptr<ItemTable> table_;
};
TORCH_MODULE(Gcl4srModel);

}  // namespace rsdist::models
