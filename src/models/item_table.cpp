#include "models/item_table.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/addmm.h>
#include <ATen/ops/index_add.h>
#include <ATen/ops/logsumexp.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/ones_like.h>
#include <ATen/ops/zeros.h>

#include <algorithm>

#include "core/error.hpp"

namespace rsdist::models {
namespace {

class ReplicatedItemTable final : public ItemTable {
 public:
  at::Tensor rows(const at::Tensor& weight, const at::Tensor& ids,
                  std::int64_t padding_idx) override {
    return at::embedding(weight, ids, padding_idx);
  }
  at::Tensor cross_entropy(const at::Tensor& hidden, const at::Tensor& weight,
                           const at::Tensor& targets) override {
    return at::cross_entropy_loss(at::matmul(hidden, weight.t()), targets);
  }
  // sum over u's entries of logits - n_u logsumexp(logits_u), from the dense [B, I] logits.
  at::Tensor multinomial_nll(const at::Tensor& hidden, const at::Tensor& weight,
                             const at::Tensor& bias, const at::Tensor& target_rows,
                             const at::Tensor& target_items) override {
    const at::Tensor logits = at::addmm(bias, hidden, weight.t());
    const std::int64_t items = logits.size(1), users = logits.size(0);
    const at::Tensor picked =
        logits.reshape({-1}).index_select(0, target_rows * items + target_items);
    const at::Tensor counts = at::zeros({users}, logits.options())
                                  .index_add_(0, target_rows, at::ones_like(picked));
    return ((at::logsumexp(logits, 1) * counts).sum() - picked.sum()) /
           static_cast<double>(std::max<std::int64_t>(users, 1));
  }
};

// Rows drawn per block: large enough for the generator's vectorised path, small next to a table.
constexpr std::int64_t kInitBlockRows = 4096;

}  // namespace

std::shared_ptr<ItemTable> replicated_item_table() {
  return std::make_shared<ReplicatedItemTable>();
}

void draw_table_rows_(at::Tensor rows, std::int64_t num_items, const ItemTable& table,
                      const std::function<void(at::Tensor)>& draw) {
  RSDIST_CHECK(rows.dim() == 2 && rows.size(0) == table.local_rows(num_items),
               "item table rows: rank {} of {} holds {} of {} rows, got [{}]", table.rank(),
               table.world(), table.local_rows(num_items), num_items, rows.size(0));
  if (!table.sharded()) {
    draw(rows);
    return;
  }
  const at::NoGradGuard no_grad;
  const std::int64_t world = table.world(), rank = table.rank();
  at::Tensor block = at::empty({kInitBlockRows, rows.size(1)}, rows.options().device(at::kCPU));
  for (std::int64_t begin = 0; begin < num_items; begin += kInitBlockRows) {
    const std::int64_t count = std::min(kInitBlockRows, num_items - begin);
    at::Tensor drawn = block.narrow(0, 0, count);
    draw(drawn);
    // Block rows of this rank: global begin + j with (begin + j) % world == rank.
    const std::int64_t first = (rank - begin % world + world) % world;
    if (first >= count) continue;
    const std::int64_t local_begin = (begin + first) / world;
    const at::Tensor mine = drawn.slice(0, first, count, world);
    rows.narrow(0, local_begin, mine.size(0)).copy_(mine);
  }
}

}  // namespace rsdist::models
