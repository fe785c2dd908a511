#include "models/multvae_model.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/addmm.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/index_add.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/logsumexp.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/rsqrt.h>
#include <ATen/ops/sqrt.h>
#include <ATen/ops/tanh.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {

namespace {

// The loss from its negative log-likelihood: plus beta times the mean KL(q(z|x_u) || N(0, I)), in
// float32.
MultVaeLoss with_kl(at::Tensor neg_ll, const MultVaeOutput& out, double beta) {
  const at::Tensor mu = out.mu.to(at::kFloat), logvar = out.logvar.to(at::kFloat);
  MultVaeLoss loss;
  loss.neg_ll = std::move(neg_ll);
  loss.kl = (0.5 * (-logvar + at::exp(logvar) + mu * mu - 1.0)).sum(1).mean();
  loss.loss = loss.neg_ll + beta * loss.kl;
  return loss;
}

}  // namespace

InputOrder input_order(const std::string& name) {
  if (name == "dropout_normalize") return InputOrder::kDropoutNormalize;
  if (name == "normalize_dropout") return InputOrder::kNormalizeDropout;
  RSDIST_THROW("unknown Mult-VAE input order '{}' (dropout_normalize or normalize_dropout)", name);
}

MultVaeModelImpl::MultVaeModelImpl(MultVaeOptions options)
    : options_(std::move(options)),
      table_(options_.item_table ? options_.item_table : replicated_item_table()) {
  RSDIST_CHECK(options_.num_items > 0, "Mult-VAE needs items (got {})", options_.num_items);
  RSDIST_CHECK(!options_.dims.empty(), "Mult-VAE needs at least the latent size in its dims");
  RSDIST_CHECK(options_.dropout >= 0 && options_.dropout < 1,
               "Mult-VAE input dropout must be in [0, 1) (got {})", options_.dropout);
  for (const std::int64_t d : options_.dims) {
    RSDIST_CHECK(d >= 1, "Mult-VAE layer widths must be positive (got {})", d);
  }
  encoder_ = register_module("encoder", torch::nn::ModuleList());
  decoder_ = register_module("decoder", torch::nn::ModuleList());
  // q: I -> d_1 -> ... -> 2 d_n;  p: d_n -> ... -> d_1 -> I.
  std::vector<std::int64_t> q{options_.num_items};
  q.insert(q.end(), options_.dims.begin(), options_.dims.end());
  std::vector<std::int64_t> p(q.rbegin(), q.rend());
  q.back() *= 2;
  at::Generator generator = make_init_generator(options_.init_seed);
  const std::int64_t items = options_.num_items, local = table_->local_rows(items);
  // Xavier's bound of an item-sized layer, from its logical fans (the same for either layout).
  const auto item_rows = [&](at::Tensor rows, std::int64_t width) {
    const double bound = std::sqrt(6.0 / static_cast<double>(items + width));
    draw_table_rows_(rows, items, *table_, [&](at::Tensor block) {
      uniform_(block, -bound, bound, generator);
    });
  };
  auto first = std::make_shared<torch::nn::Module>("ItemLinear");
  item_weight_ = first->register_parameter("item_weight", at::empty({local, q[1]}));
  first_bias_ = first->register_parameter("bias", at::empty({q[1]}));
  item_rows(item_weight_, q[1]);
  truncated_normal_(first_bias_, 0.001, generator);
  encoder_->push_back(first);
  const auto build = [&](const std::vector<std::int64_t>& widths, std::size_t from,
                         torch::nn::ModuleList& list, std::vector<torch::nn::Linear>& layers) {
    for (std::size_t k = from; k + 1 < widths.size(); ++k) {
      const bool to_items = k + 2 == widths.size() && &list == &decoder_;
      torch::nn::Linear layer(widths[k], to_items ? local : widths[k + 1]);
      if (to_items) {
        // The output layer's rows are items: drawn as the whole table, this rank's kept; its
        // bias (one float per item) drawn whole and sliced.
        item_rows(layer->weight, widths[k]);
        at::Tensor bias = at::empty({items});
        truncated_normal_(bias, 0.001, generator);
        const at::NoGradGuard no_grad;
        layer->bias.copy_(bias.slice(0, table_->rank(), items, table_->world()));
      } else {
        xavier_uniform_(layer->weight, 1.0, generator);
        truncated_normal_(layer->bias, 0.001, generator);
      }
      list->push_back(layer);
      layers.push_back(layer);
    }
  };
  build(q, 1, encoder_, encoder_layers_);
  build(p, 0, decoder_, decoder_layers_);
}

at::Tensor MultVaeModelImpl::input_values(const SparseRows& x, const at::Tensor& keep) const {
  const at::Tensor ones = at::ones({x.nnz()}, item_weight_.options());
  const double keep_probability = 1.0 - options_.dropout;
  // F.normalize: x / max(||x||, 1e-12), per row, gathered back onto the entries.
  const auto normalised = [&x](const at::Tensor& v) {
    const at::Tensor norms = at::sqrt(sparse_row_sums(x, v * v)).clamp_min(1e-12);
    return v / norms.index_select(0, x.rows);
  };
  const auto dropped = [&](const at::Tensor& v) {
    return keep.defined() ? v * keep / keep_probability : v;
  };
  return options_.order == InputOrder::kDropoutNormalize ? normalised(dropped(ones))
                                                         : dropped(normalised(ones));
}

MultVaeOutput MultVaeModelImpl::forward(const SparseRows& x, const MultVaeNoise& noise) {
  const at::Tensor values = input_values(x, noise.keep);
  at::Tensor h;
  if (table_->sharded()) {  // the entries' item rows from their owners, summed per row
    h = at::zeros({x.num_rows, item_weight_.size(1)}, item_weight_.options())
            .index_add(0, x.rows, table_->rows(item_weight_, x.items, -1) * values.unsqueeze(1)) +
        first_bias_;
  } else {
    h = sparse_rows_mm(x, item_weight_, values) + first_bias_;
  }
  for (auto& layer : encoder_layers_) h = layer(at::tanh(h));
  const std::int64_t latent = options_.dims.back();
  MultVaeOutput out;
  out.mu = h.narrow(1, 0, latent);
  out.logvar = h.narrow(1, latent, latent);
  at::Tensor z = noise.eps.defined() ? out.mu + noise.eps * at::exp(0.5 * out.logvar) : out.mu;
  for (std::size_t k = 0; k + 1 < decoder_layers_.size(); ++k) {
    z = decoder_layers_[k](k == 0 ? z : at::tanh(z));
  }
  out.decoded = decoder_layers_.size() == 1 ? z : at::tanh(z);
  if (!table_->sharded()) out.logits = decoder_layers_.back()(out.decoded);
  return out;
}

at::Tensor MultVaeModelImpl::score(const SparseRows& x) {
  const MultVaeOutput out = forward(x, {});
  if (!table_->sharded()) return out.logits;
  const torch::nn::Linear& last = decoder_layers_.back();
  return at::addmm(last->bias, out.decoded, last->weight.t());
}

MultVaeLoss MultVaeModelImpl::loss(const MultVaeOutput& out, const SparseRows& x, double beta) {
  if (!table_->sharded()) return multvae_loss(out, x, beta);
  const torch::nn::Linear& last = decoder_layers_.back();
  return with_kl(table_->multinomial_nll(out.decoded.to(at::kFloat), last->weight, last->bias,
                                         x.rows, x.items),
                 out, beta);
}

MultVaeNoise MultVaeModelImpl::draw_noise(const SparseRows& x, at::Generator& generator) const {
  const at::TensorOptions options = item_weight_.options();
  MultVaeNoise noise;
  if (options_.dropout > 0) {
    noise.keep = at::empty({x.nnz()}, options).bernoulli_(1.0 - options_.dropout, generator);
  }
  noise.eps = at::empty({x.num_rows, latent()}, options).normal_(0.0, 1.0, generator);
  return noise;
}

MultVaeLoss multvae_loss(const MultVaeOutput& out, const SparseRows& x, double beta) {
  // sum_i x_ui log softmax_i = sum over u's entries of logits - n_u * logsumexp(logits_u); in
  // float32 whatever the forward's precision (bf16 autocast: a logsumexp over 20k items).
  const at::Tensor logits = out.logits.to(at::kFloat);
  const std::int64_t items = logits.size(1);
  const at::Tensor picked = logits.reshape({-1}).index_select(0, x.rows * items + x.items);
  const at::Tensor counts = sparse_row_sums(x, at::ones({x.nnz()}, logits.options()));
  const double users = static_cast<double>(std::max<std::int64_t>(1, x.num_rows));
  return with_kl(((at::logsumexp(logits, 1) * counts).sum() - picked.sum()) / users, out, beta);
}

double kl_weight(std::int64_t step, double cap, std::int64_t anneal_steps) {
  if (anneal_steps <= 0) return cap;
  return cap * std::min(1.0, static_cast<double>(step) / static_cast<double>(anneal_steps));
}

}  // namespace rsdist::models
