// The sharded item table's checks (item_sharding_checks.hpp) on MPI ranks: run under
// `mpirun -np N` by item_sharding_mpirun_test.cpp. Every rank runs every check on the MPI
// communicator (all-to-all, all-gather and all-reduce as MPI carries them); the job's exit code
// is non-zero when a check fails on any rank.
#include <gtest/gtest.h>

#include <memory>

#include "ddp/item_sharding_checks.hpp"
#include "ddp/runtime.hpp"

namespace {
using namespace rsdist::ddp;

Runtime* runtime = nullptr;

TEST(MpiRanks, LossGradientsAndAdamStepMatchTheReplicatedTable) {
  sharding_checks::loss_gradients_and_adam_step_match_the_replicated_table(runtime->rank(),
                                                                            runtime->comm());
}

TEST(MpiRanks, RowsOfTheLogicalTableWhateverTheOwner) {
  sharding_checks::rows_of_the_logical_table_whatever_the_owner(runtime->rank(), runtime->comm());
}

TEST(MpiRanks, MergedTopKIsTheFullRankingsTopK) {
  sharding_checks::merged_top_k_is_the_full_rankings_top_k(runtime->rank(), runtime->comm());
}

TEST(MpiRanks, ItemsAheadOfATargetCountEveryShard) {
  sharding_checks::items_ahead_of_a_target_count_every_shard(runtime->rank(), runtime->comm());
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  RuntimeOptions options;
  options.backend = "mpi";
  options.use_cuda = false;
  std::unique_ptr<Runtime> started = Runtime::start(options);
  runtime = started.get();
  const int failed = RUN_ALL_TESTS();
  // Every rank's verdict: one rank's failure fails the job on every rank.
  at::Tensor verdict = at::full({1}, failed ? 1 : 0, at::kInt);
  runtime->comm().all_reduce(verdict, ReduceOp::kMax);
  return verdict.item<int>();
}
