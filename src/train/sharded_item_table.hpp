// --shard_items: a model's item table row-sharded over the run's ranks (models/item_table.hpp on
// ddp/item_sharding.hpp). The trainer keeps such a table out of replica sync and the gradient
// reducer (Note [Sharded gradients are world means]) and writes it into checkpoints as each
// rank's rows (train/checkpoint.hpp, "Sharded tables").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "core/config.hpp"
#include "ddp/communicator.hpp"
#include "ddp/item_sharding.hpp"
#include "models/item_table.hpp"

namespace rsdist::train {

// The table of `num_items` logical rows over `comm`'s ranks; the softmax scores `chunk_rows`
// examples at a time (0: as many as this rank's batch).
std::shared_ptr<models::ItemTable> sharded_item_table(ddp::Communicator& comm,
                                                      std::int64_t num_items,
                                                      std::int64_t chunk_rows);

// The rows `table` gives this rank of a logical table of `num_items` rows, for the sharded
// evaluation (RankingSource::sharding); nullopt for a replicated table.
std::optional<ddp::ItemSharding> sharding_of(const models::ItemTable& table,
                                             std::int64_t num_items);

// The table a task's configuration asks for: sharded over `comm` with --shard_items, else
// replicated.
std::shared_ptr<models::ItemTable> item_table_of(const Config& config, ddp::Communicator* comm,
                                                 std::int64_t num_items);

}  // namespace rsdist::train
