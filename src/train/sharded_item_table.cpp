#include "train/sharded_item_table.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace rsdist::train {
namespace {

class ShardedItemTable final : public models::ItemTable {
 public:
  ShardedItemTable(ddp::Communicator& comm, std::int64_t num_items, std::int64_t chunk_rows)
      : comm_(comm), sharding_(ddp::item_sharding(comm, num_items)), chunk_rows_(chunk_rows) {}

  int rank() const override { return sharding_.rank; }
  int world() const override { return sharding_.world; }
  bool sharded() const override { return true; }

  at::Tensor rows(const at::Tensor& weight, const at::Tensor& ids,
                  std::int64_t padding_idx) override {
    return ddp::sharded_rows(comm_, sharding_, weight, ids, padding_idx);
  }
  at::Tensor cross_entropy(const at::Tensor& hidden, const at::Tensor& weight,
                           const at::Tensor& targets) override {
    return ddp::vocab_parallel_cross_entropy(comm_, sharding_, hidden, weight, targets,
                                             chunk_for(hidden));
  }
  at::Tensor multinomial_nll(const at::Tensor& hidden, const at::Tensor& weight,
                             const at::Tensor& bias, const at::Tensor& target_rows,
                             const at::Tensor& target_items) override {
    return ddp::vocab_parallel_multinomial_nll(comm_, sharding_, hidden, weight, bias, target_rows,
                                               target_items, chunk_for(hidden));
  }

 private:
  // Examples per logit block: --shard_chunk_rows, or this rank's batch.
  std::int64_t chunk_for(const at::Tensor& hidden) const {
    return chunk_rows_ > 0 ? chunk_rows_ : std::max<std::int64_t>(1, hidden.size(0));
  }

  ddp::Communicator& comm_;
  ddp::ItemSharding sharding_;
  std::int64_t chunk_rows_;
};

}  // namespace

std::shared_ptr<models::ItemTable> sharded_item_table(ddp::Communicator& comm,
                                                      std::int64_t num_items,
                                                      std::int64_t chunk_rows) {
  return std::make_shared<ShardedItemTable>(comm, num_items, chunk_rows);
}

std::optional<ddp::ItemSharding> sharding_of(const models::ItemTable& table,
                                             std::int64_t num_items) {
  if (!table.sharded()) return std::nullopt;
  return ddp::ItemSharding{num_items, table.rank(), table.world()};
}

std::shared_ptr<models::ItemTable> item_table_of(const Config& config, ddp::Communicator* comm,
                                                 std::int64_t num_items) {
  if (!config.get_bool("shard_items")) return models::replicated_item_table();
  RSDIST_CHECK(comm != nullptr, "--shard_items needs the run's communicator");
  return sharded_item_table(*comm, num_items, config.get_int("shard_chunk_rows"));
}

}  // namespace rsdist::train
