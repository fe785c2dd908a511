// --shard_items against the replicated table, for the families' mpirun tests: two runs of the
// same configuration give the same losses and metrics in every metrics.jsonl line, the same
// parameters (the sharded checkpoint's table assembled whole) and the same optimizer state.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/run_records.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::testing {

inline void expect_same_training(const std::filesystem::path& replicated,
                                 const std::filesystem::path& sharded, const std::string& label,
                                 std::int64_t last_epoch) {
  const auto a = read_jsonl(replicated / "metrics.jsonl");
  const auto b = read_jsonl(sharded / "metrics.jsonl");
  ASSERT_EQ(a.size(), b.size()) << label;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i]["kind"] == "epoch") {
      EXPECT_NEAR(a[i]["train_loss"].get<double>(), b[i]["train_loss"].get<double>(), 1e-5)
          << label << " line " << i + 1;
      if (a[i].contains("train_losses")) {
        for (const auto& [part, value] : a[i]["train_losses"].items()) {
          EXPECT_NEAR(value.get<double>(), b[i]["train_losses"][part].get<double>(), 1e-5)
              << label << " " << part;
        }
      }
    }
    for (const char* split : {"dev", "test"}) {
      if (!a[i].contains(split)) continue;
      for (const auto& [metric, value] : a[i][split].items()) {
        EXPECT_NEAR(value.get<double>(), b[i][split][metric].get<double>(), 1e-9)
            << label << " " << split << " " << metric;
      }
    }
  }
  const auto x = train::read_checkpoint(replicated / "checkpoints" / train::checkpoint_name(last_epoch));
  const auto y = train::read_checkpoint(sharded / "checkpoints" / train::checkpoint_name(last_epoch));
  // The sharded run's table is in its shard files, not in model.pt.
  bool shards = false;
  for (const auto& entry : std::filesystem::directory_iterator(
           sharded / "checkpoints" / train::checkpoint_name(last_epoch))) {
    shards = shards || entry.path().filename().string().rfind("table-shard-", 0) == 0;
  }
  EXPECT_TRUE(shards) << label << ": no table shards";
  ASSERT_EQ(x.model.size(), y.model.size()) << label;
  for (const auto& [name, tensor] : x.model) {
    ASSERT_TRUE(y.model.count(name)) << label << ": " << name;
    ASSERT_EQ(tensor.sizes(), y.model.at(name).sizes()) << label << ": " << name;
    EXPECT_LT(tensor.sub(y.model.at(name)).abs().max().item().toDouble(), 1e-5)
        << label << ": " << name;
  }
  ASSERT_EQ(x.optimizer.size(), y.optimizer.size()) << label;
  for (const auto& [key, tensors] : x.optimizer) {  // the sharded tables' moments included
    ASSERT_TRUE(y.optimizer.count(key)) << label << ": " << key;
    ASSERT_EQ(tensors.size(), y.optimizer.at(key).size()) << label << ": " << key;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      EXPECT_LT(tensors[i].to(at::kDouble).sub(y.optimizer.at(key)[i].to(at::kDouble))
                    .abs().max().item().toDouble(),
                1e-5)
          << label << ": " << key;
    }
  }
}

}  // namespace rsdist::testing
