#include "ddp/item_sharding.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "ddp/collectives.hpp"

namespace rsdist::ddp {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// A communicator outlives every graph built with it (the trainer's runtime owns it): its address
// travels in the autograd context as an integer.
std::int64_t address_of(Communicator& comm) { return reinterpret_cast<std::intptr_t>(&comm); }
Communicator& communicator_at(const c10::IValue& value) {
  return *reinterpret_cast<Communicator*>(static_cast<std::intptr_t>(value.toInt()));
}

void check_ids(const ItemSharding& sharding, const at::Tensor& ids, const char* what) {
  RSDIST_CHECK(ids.scalar_type() == at::kLong, "{}: item ids must be int64", what);
  if (ids.numel() == 0) return;
  const auto [min, max] = at::aminmax(ids);
  const at::Tensor range = at::stack({min, max}).cpu();  // one read from the device
  const std::int64_t low = range[0].item<std::int64_t>(), high = range[1].item<std::int64_t>();
  RSDIST_CHECK(low >= 0 && high < sharding.num_items,
               "{}: item ids must lie in [0, {}), got [{}, {}]", what, sharding.num_items, low,
               high);
}

// --- sharded_rows -------------------------------------------------------------------------------

// Forward: the distinct ids, grouped by owner, go out as [N, K] (K the largest request of any rank
// to any owner, -1 padding); the owners' rows come back as [N, K, D].
struct ShardedRows : torch::autograd::Function<ShardedRows> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& shard, const at::Tensor& ids,
                            std::int64_t comm_address, std::int64_t padding_idx) {
    Communicator& comm = communicator_at(comm_address);
    const std::int64_t world = comm.world_size(), dim = shard.size(1);
    const at::Tensor flat = ids.reshape({-1});
    const auto [unique, inverse, unused] = at::_unique2(flat, /*sorted=*/true,
                                                        /*return_inverse=*/true, false);
    const at::Tensor owner = unique.remainder(world);
    const at::Tensor order = std::get<1>(at::sort(owner, /*stable=*/true, 0, false));
    const at::Tensor sorted_owner = owner.index_select(0, order);
    const at::Tensor counts = at::bincount(sorted_owner, {}, world);
    const at::Tensor position = at::arange(unique.size(0), flat.options()) -
                                (counts.cumsum(0) - counts).index_select(0, sorted_owner);
    const std::int64_t width = std::max<std::int64_t>(
        1, comm.all_gather(counts).max().item<std::int64_t>());
    at::Tensor requests = at::full({world, width}, -1, flat.options());
    requests.index_put_({sorted_owner, position}, unique.index_select(0, order));
    const at::Tensor asked = comm.all_to_all(requests);  // [N, K]: row s, what rank s wants here
    const at::Tensor valid = asked.ge(0);
    const at::Tensor local = at::where(valid, asked.div(world, "floor"), 0).reshape({-1});
    const at::Tensor rows = shard.index_select(0, local)
                                .reshape({world, width, dim})
                                .masked_fill(valid.logical_not().unsqueeze(-1), 0);
    const at::Tensor received = comm.all_to_all(rows);  // [N, K, D]: row o, what owner o sent
    at::Tensor unique_rows = at::empty({unique.size(0), dim}, shard.options());
    unique_rows.index_copy_(0, order, received.index({sorted_owner, position}));

    ctx->saved_data["comm"] = comm_address;
    ctx->saved_data["padding"] = unique.eq(padding_idx).unsqueeze(1);
    ctx->saved_data["shard_rows"] = shard.size(0);
    ctx->saved_data["inverse"] = inverse;
    ctx->saved_data["order"] = order;
    ctx->saved_data["sorted_owner"] = sorted_owner;
    ctx->saved_data["position"] = position;
    ctx->saved_data["valid"] = valid;
    ctx->saved_data["local"] = local;
    std::vector<std::int64_t> shape = ids.sizes().vec();
    shape.push_back(dim);
    return unique_rows.index_select(0, inverse).reshape(shape);
  }

  // Each distinct id's summed gradient goes back to its owner in the forward's layout.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    Communicator& comm = communicator_at(ctx->saved_data["comm"]);
    const std::int64_t world = comm.world_size();
    const at::Tensor inverse = ctx->saved_data["inverse"].toTensor();
    const at::Tensor order = ctx->saved_data["order"].toTensor();
    const at::Tensor sorted_owner = ctx->saved_data["sorted_owner"].toTensor();
    const at::Tensor position = ctx->saved_data["position"].toTensor();
    const at::Tensor valid = ctx->saved_data["valid"].toTensor();
    const at::Tensor local = ctx->saved_data["local"].toTensor();
    const std::int64_t dim = grads[0].size(-1);
    const at::Tensor grad = grads[0].reshape({-1, dim});
    at::Tensor per_unique = at::zeros({order.size(0), dim}, grad.options());
    per_unique.index_add_(0, inverse, grad);
    per_unique.masked_fill_(ctx->saved_data["padding"].toTensor(), 0);  // as padding_idx
    at::Tensor outgoing = at::zeros({world, valid.size(1), dim}, grad.options());
    outgoing.index_put_({sorted_owner, position}, per_unique.index_select(0, order));
    const at::Tensor incoming = comm.all_to_all(outgoing).reshape({-1, dim});
    const at::Tensor keep = valid.reshape({-1}).nonzero().squeeze(1);
    at::Tensor grad_shard =
        at::zeros({ctx->saved_data["shard_rows"].toInt(), dim}, grad.options());
    grad_shard.index_add_(0, local.index_select(0, keep), incoming.index_select(0, keep));
    grad_shard.div_(static_cast<double>(world));
    return {grad_shard, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// --- vocab_parallel_nll ---------------------------------------------------------------------------

// loss_r = (1 / B_r) sum over rank r's rows u of (n_u lse_u - sum over u's targets t of logit_ut),
// logits = hidden W^T + bias over the logical table. Cross-entropy is the case of one target per
// row (n_u = 1); Mult-VAE's multinomial likelihood the case of a user's items (n_u their count).
struct VocabParallelNll : torch::autograd::Function<VocabParallelNll> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& hidden, const at::Tensor& shard,
                            const at::Tensor& bias, const at::Tensor& target_rows,
                            const at::Tensor& target_items, std::int64_t comm_address,
                            std::int64_t chunk_rows) {
    Communicator& comm = communicator_at(comm_address);
    const std::int64_t world = comm.world_size(), rank = comm.rank();
    const std::vector<std::int64_t> counts = all_gather_counts(comm, hidden.size(0), hidden.device());
    std::int64_t offset = 0;
    for (std::int64_t r = 0; r < rank; ++r) offset += counts[static_cast<std::size_t>(r)];
    const at::Tensor all_hidden = all_gather_rows(comm, hidden, counts);  // [sum B, D]
    const std::int64_t total = all_hidden.size(0);
    // Every rank's targets, their rows numbered over all ranks' examples.
    const std::vector<std::int64_t> pair_counts =
        all_gather_counts(comm, target_rows.size(0), hidden.device());
    const at::Tensor all_rows = all_gather_rows(comm, target_rows + offset, pair_counts);
    const at::Tensor all_items = all_gather_rows(comm, target_items, pair_counts);
    const at::Tensor per_row =
        at::zeros({total}, hidden.options()).index_add_(0, all_rows, at::ones({all_rows.size(0)}, hidden.options()));

    // This shard's max and sum of exponentials per example, chunk by chunk.
    at::Tensor max = at::full({total}, -INFINITY, hidden.options());
    at::Tensor sum = at::zeros({total}, hidden.options());
    if (shard.size(0) > 0) {
      for (std::int64_t begin = 0; begin < total; begin += chunk_rows) {
        const std::int64_t rows = std::min(chunk_rows, total - begin);
        const at::Tensor logits = at::addmm(bias, all_hidden.narrow(0, begin, rows), shard.t());
        // One block holds every example: backward reuses it instead of recomputing it.
        if (rows == total) ctx->saved_data["logits"] = logits;
        const at::Tensor chunk_max = logits.amax(1);
        max.narrow(0, begin, rows).copy_(chunk_max);
        sum.narrow(0, begin, rows).copy_((logits - chunk_max.unsqueeze(1)).exp_().sum(1));
      }
    }
    // The targets' logits, on their owners, summed per row.
    at::Tensor target_logit = at::zeros({total}, hidden.options());
    const at::Tensor owned = all_items.remainder(world).eq(rank).nonzero().squeeze(1);
    if (owned.numel() > 0) {
      const at::Tensor rows_of = all_rows.index_select(0, owned);
      const at::Tensor local = all_items.index_select(0, owned).div(world, "floor");
      const at::Tensor logit = (all_hidden.index_select(0, rows_of) * shard.index_select(0, local))
                                   .sum(1) + bias.index_select(0, local);
      target_logit.index_add_(0, rows_of, logit);
    }
    // Every rank combines every shard's statistics in rank order: the same result everywhere.
    const at::Tensor stats = comm.all_gather(at::stack({max, sum, target_logit}));  // [N, 3, sum B]
    const at::Tensor global_max = stats.select(1, 0).amax(0);
    const at::Tensor finite_max = at::where(global_max.isinf(), 0, global_max);
    const at::Tensor log_sum_exp =
        finite_max +
        at::log((stats.select(1, 1) * at::exp(stats.select(1, 0) - finite_max)).sum(0));
    const at::Tensor losses = per_row * log_sum_exp - stats.select(1, 2).sum(0);

    ctx->save_for_backward({shard, bias});
    ctx->saved_data["comm"] = comm_address;
    ctx->saved_data["chunk_rows"] = chunk_rows;
    ctx->saved_data["all_hidden"] = all_hidden;
    ctx->saved_data["all_rows"] = all_rows;
    ctx->saved_data["all_items"] = all_items;
    ctx->saved_data["per_row"] = per_row;
    ctx->saved_data["log_sum_exp"] = log_sum_exp;
    ctx->saved_data["counts"] = c10::IValue(counts);
    ctx->saved_data["offset"] = offset;
    return losses.narrow(0, offset, hidden.size(0)).sum() /
           static_cast<double>(std::max<std::int64_t>(hidden.size(0), 1));
  }

  // d loss_r / d logit_ui = (n_u softmax_ui - [i a target of u]) / B_r for rank r's rows: every
  // rank forms it for every example against its shard, chunk by chunk (the logits recomputed),
  // adds its share of each example's hidden gradient (summed over shards by one all-reduce) and
  // its shard's and bias's gradients.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    Communicator& comm = communicator_at(ctx->saved_data["comm"]);
    const std::int64_t world = comm.world_size(), rank = comm.rank();
    const auto saved = ctx->get_saved_variables();
    const at::Tensor shard = saved[0], bias = saved[1];
    const std::int64_t chunk_rows = ctx->saved_data["chunk_rows"].toInt();
    const at::Tensor all_hidden = ctx->saved_data["all_hidden"].toTensor();
    const at::Tensor all_rows = ctx->saved_data["all_rows"].toTensor();
    const at::Tensor all_items = ctx->saved_data["all_items"].toTensor();
    const at::Tensor per_row = ctx->saved_data["per_row"].toTensor();
    const at::Tensor log_sum_exp = ctx->saved_data["log_sum_exp"].toTensor();
    const std::vector<std::int64_t> counts = ctx->saved_data["counts"].toIntVector();
    const std::int64_t offset = ctx->saved_data["offset"].toInt();
    const std::int64_t own = counts[static_cast<std::size_t>(rank)];
    const std::int64_t total = all_hidden.size(0);

    // Each example's weight: its rank's upstream gradient over that rank's example count.
    const at::Tensor upstream =
        comm.all_gather((grads[0].reshape({1}) / static_cast<double>(std::max<std::int64_t>(own, 1)))
                            .to(all_hidden.scalar_type()))
            .reshape({world});
    const at::Tensor weight = upstream.repeat_interleave(
        at::tensor(counts, at::TensorOptions().dtype(at::kLong)).to(upstream.device()),
        /*dim=*/0, /*output_size=*/total);

    at::Tensor grad_hidden = at::zeros_like(all_hidden);
    at::Tensor grad_shard = at::zeros_like(shard);
    at::Tensor grad_bias = at::zeros_like(bias);
    const bool bias_grad = ctx->needs_input_grad(2);
    if (shard.size(0) > 0) {
      const at::Tensor owned_mask = all_items.remainder(world).eq(rank);
      for (std::int64_t begin = 0; begin < total; begin += chunk_rows) {
        const std::int64_t rows = std::min(chunk_rows, total - begin);
        const at::Tensor chunk_hidden = all_hidden.narrow(0, begin, rows);
        // The kept block is turned into the gradient in place (and forgotten: a second backward
        // recomputes it), a recomputed one too: no other [rows, local rows] temporary.
        at::Tensor d_logits;
        if (ctx->saved_data.count("logits")) {
          d_logits = ctx->saved_data["logits"].toTensor();
          ctx->saved_data.erase("logits");
        } else {
          d_logits = at::addmm(bias, chunk_hidden, shard.t());
        }
        d_logits.sub_(log_sum_exp.narrow(0, begin, rows).unsqueeze(1))
            .exp_()
            .mul_(per_row.narrow(0, begin, rows).unsqueeze(1));
        // This chunk's targets on this shard: minus one each (repeated targets add up).
        const at::Tensor in_chunk = owned_mask.logical_and(all_rows.ge(begin))
                                        .logical_and(all_rows.lt(begin + rows))
                                        .nonzero()
                                        .squeeze(1);
        if (in_chunk.numel() > 0) {
          const at::Tensor r = all_rows.index_select(0, in_chunk) - begin;
          const at::Tensor c = all_items.index_select(0, in_chunk).div(world, "floor");
          d_logits.index_put_({r, c}, at::full({r.size(0)}, -1.0, d_logits.options()),
                              /*accumulate=*/true);
        }
        d_logits.mul_(weight.narrow(0, begin, rows).unsqueeze(1));
        grad_hidden.narrow(0, begin, rows).copy_(at::matmul(d_logits, shard));
        grad_shard.addmm_(d_logits.t(), chunk_hidden);
        if (bias_grad) grad_bias.add_(d_logits.sum(0));
      }
    }
    comm.all_reduce(grad_hidden, ReduceOp::kSum);
    grad_shard.div_(static_cast<double>(world));
    grad_bias.div_(static_cast<double>(world));
    return {grad_hidden.narrow(0, offset, own).clone(), grad_shard, grad_bias, at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

void check_table(const ItemSharding& sharding, const at::Tensor& hidden, const at::Tensor& shard,
                 const char* what) {
  RSDIST_CHECK(hidden.dim() == 2 && shard.dim() == 2 && hidden.size(1) == shard.size(1),
               "{}: hidden [B, D] against a shard [rows, D]", what);
  RSDIST_CHECK(shard.size(0) == sharding.local_rows(),
               "{}: rank {} holds {} rows, got a shard of {}", what, sharding.rank,
               sharding.local_rows(), shard.size(0));
}

}  // namespace

at::Tensor ItemSharding::shard_of(const at::Tensor& table) const {
  RSDIST_CHECK(table.size(0) == num_items, "a table of {} rows sharded as {} items",
               table.size(0), num_items);
  return table.slice(0, rank, num_items, world).contiguous().clone();
}

at::Tensor ItemSharding::item_ids(at::Device device) const {
  return at::arange(rank, num_items, world, at::TensorOptions().dtype(at::kLong).device(device));
}

ItemSharding item_sharding(const Communicator& comm, std::int64_t num_items) {
  RSDIST_CHECK(num_items > 0, "an item table needs items, got {}", num_items);
  return {num_items, comm.rank(), comm.world_size()};
}

at::Tensor sharded_rows(Communicator& comm, const ItemSharding& sharding, const at::Tensor& shard,
                        const at::Tensor& ids, std::int64_t padding_idx) {
  RSDIST_CHECK(shard.dim() == 2 && shard.size(0) == sharding.local_rows(),
               "sharded_rows: rank {} holds {} rows of {} items, got a shard of {} rows",
               sharding.rank, sharding.local_rows(), sharding.num_items,
               shard.dim() == 2 ? shard.size(0) : -1);
  check_ids(sharding, ids, "sharded_rows");
  return ShardedRows::apply(shard, ids, address_of(comm), padding_idx);
}

at::Tensor vocab_parallel_cross_entropy(Communicator& comm, const ItemSharding& sharding,
                                        const at::Tensor& hidden, const at::Tensor& shard,
                                        const at::Tensor& targets, std::int64_t chunk_rows) {
  check_table(sharding, hidden, shard, "vocab-parallel cross-entropy");
  RSDIST_CHECK(targets.dim() == 1 && targets.size(0) == hidden.size(0),
               "vocab-parallel cross-entropy: one target per example");
  RSDIST_CHECK(chunk_rows > 0, "vocab-parallel cross-entropy: chunk_rows must be > 0");
  check_ids(sharding, targets, "vocab-parallel cross-entropy");
  const at::Tensor no_bias = at::zeros({shard.size(0)}, shard.options());
  return VocabParallelNll::apply(hidden, shard, no_bias,
                                 at::arange(hidden.size(0), targets.options()), targets,
                                 address_of(comm), chunk_rows);
}

at::Tensor vocab_parallel_multinomial_nll(Communicator& comm, const ItemSharding& sharding,
                                          const at::Tensor& hidden, const at::Tensor& shard,
                                          const at::Tensor& bias, const at::Tensor& target_rows,
                                          const at::Tensor& target_items,
                                          std::int64_t chunk_rows) {
  check_table(sharding, hidden, shard, "vocab-parallel multinomial likelihood");
  RSDIST_CHECK(bias.dim() == 1 && bias.size(0) == shard.size(0),
               "vocab-parallel multinomial likelihood: a bias row per item of the shard");
  RSDIST_CHECK(target_rows.dim() == 1 && target_rows.sizes() == target_items.sizes() &&
                   target_rows.scalar_type() == at::kLong,
               "vocab-parallel multinomial likelihood: int64 target rows and items, one each");
  RSDIST_CHECK(chunk_rows > 0, "vocab-parallel multinomial likelihood: chunk_rows must be > 0");
  check_ids(sharding, target_items, "vocab-parallel multinomial likelihood");
  return VocabParallelNll::apply(hidden, shard, bias, target_rows, target_items, address_of(comm),
                                 chunk_rows);
}

ShardTopK shard_top_k(const ItemSharding& sharding, const at::Tensor& scores, std::int64_t k) {
  RSDIST_CHECK(scores.dim() == 2 && scores.size(1) == sharding.local_rows(),
               "shard_top_k: scores [B, {}] expected", sharding.local_rows());
  RSDIST_CHECK(k > 0, "shard_top_k: k must be > 0");
  const std::int64_t users = scores.size(0), columns = scores.size(1);
  const auto ids = at::TensorOptions().dtype(at::kLong).device(scores.device());
  ShardTopK out{at::full({users, k}, -INFINITY, scores.options()), at::full({users, k}, -1, ids)};
  const std::int64_t take = std::min(k, columns);
  if (take == 0 || users == 0) return out;
  // Exactly `take` columns per row: every score above the take-th best, then the tied ones of
  // smallest index (ascending local index is ascending item id, Note [Cyclic item sharding]).
  const at::Tensor kth = std::get<0>(at::topk(scores, take, 1)).select(1, take - 1).unsqueeze(1);
  const at::Tensor above = scores.gt(kth);
  const at::Tensor tied = scores.eq(kth);
  const at::Tensor room = take - above.sum(1, /*keepdim=*/true);
  const at::Tensor chosen = above.logical_or(tied.logical_and(tied.cumsum(1).le(room)));
  const at::Tensor columns_chosen = chosen.nonzero().select(1, 1).reshape({users, take});
  const at::Tensor values = scores.gather(1, columns_chosen);
  const at::Tensor order = std::get<1>(at::sort(values, /*stable=*/true, 1, /*descending=*/true));
  const at::Tensor best = values.gather(1, order);
  const at::Tensor items = columns_chosen.gather(1, order) * sharding.world + sharding.rank;
  out.values.narrow(1, 0, take).copy_(best);
  out.items.narrow(1, 0, take).copy_(at::where(best.isneginf(), -1, items));
  return out;
}

ShardTopK merge_sharded_topk(Communicator& comm, const ShardTopK& local) {
  const std::int64_t users = local.values.size(0), k = local.values.size(1);
  // [N, B, k] -> [B, N k]
  const at::Tensor values = comm.all_gather(local.values.contiguous()).permute({1, 0, 2}).reshape({users, -1});
  const at::Tensor items = comm.all_gather(local.items.contiguous()).permute({1, 0, 2}).reshape({users, -1});
  // Ascending id first (empty places, id -1, go last), then a stable sort by score.
  const at::Tensor id_key = at::where(items.lt(0), std::numeric_limits<std::int64_t>::max(), items);
  const at::Tensor by_id = std::get<1>(at::sort(id_key, /*stable=*/true, 1, false));
  const at::Tensor values_by_id = values.gather(1, by_id);
  const at::Tensor by_score =
      std::get<1>(at::sort(values_by_id, /*stable=*/true, 1, /*descending=*/true)).narrow(1, 0, k);
  return {values_by_id.gather(1, by_score), items.gather(1, by_id).gather(1, by_score)};
}

at::Tensor sharded_items_ahead(Communicator& comm, const ItemSharding& sharding,
                               const at::Tensor& scores, const at::Tensor& target_items) {
  RSDIST_CHECK(scores.dim() == 2 && scores.size(1) == sharding.local_rows() &&
                   target_items.dim() == 1 && target_items.size(0) == scores.size(0),
               "sharded_items_ahead: scores [B, {}] and targets [B] expected",
               sharding.local_rows());
  check_ids(sharding, target_items, "sharded_items_ahead");
  at::Tensor target_score = at::zeros({scores.size(0)}, scores.options());
  const at::Tensor owned = target_items.remainder(sharding.world).eq(sharding.rank).nonzero().squeeze(1);
  if (owned.numel() > 0) {
    const at::Tensor columns = target_items.index_select(0, owned).div(sharding.world, "floor");
    target_score.index_copy_(0, owned, scores.index_select(0, owned).gather(1, columns.unsqueeze(1)).squeeze(1));
  }
  comm.all_reduce(target_score, ReduceOp::kSum);  // zeros plus the owner's score: exact
  const at::Tensor items = sharding.item_ids(scores.device()).unsqueeze(0);
  const at::Tensor t = target_score.unsqueeze(1);
  const at::Tensor ahead =
      scores.gt(t).logical_or(scores.eq(t).logical_and(items.lt(target_items.unsqueeze(1))))
          .logical_and(scores.isneginf().logical_not());
  at::Tensor count = ahead.sum(1).to(at::kLong);
  comm.all_reduce(count, ReduceOp::kSum);
  return count;
}

}  // namespace rsdist::ddp
