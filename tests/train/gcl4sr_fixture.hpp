// A small synthetic sequence corpus and a small GCL4SR configuration for the training tests: the
// real pipeline (synth seq -> preprocess seq -> train) at sizes a 2-core CI machine trains in
// seconds.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "app/cli_runner.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::testing {

// `rsdist synth seq` (sequences of at most 20 items) + `rsdist preprocess seq` into dir/raw,
// dir/corpus.
inline std::filesystem::path make_gcl4sr_corpus(const std::filesystem::path& dir, int users = 300,
                                                int items = 120, int clusters = 6) {
  const auto raw = dir / "raw";
  const auto corpus = dir / "corpus";
  CliResult r = run_rsdist({"synth", "seq", "--out", raw.string(), "--seed", "3", "--seq_users",
                            std::to_string(users), "--seq_items", std::to_string(items),
                            "--clusters", std::to_string(clusters), "--max_length", "20"});
  EXPECT_EQ(r.code, 0) << r.err;
  r = run_rsdist(
      {"preprocess", "seq", "--input", (raw / "sequences.txt").string(), "--out", corpus.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  return corpus;
}

// `rsdist train` arguments of a small GCL4SR on `corpus`, writing `out`; by default the learning
// rate halves every epoch so that the schedule shows in two epochs.
inline std::vector<std::string> gcl4sr_train_args(const std::filesystem::path& corpus,
                                                  const std::filesystem::path& out, int epochs,
                                                  int batch_size = 64, int lr_decay_every = 1) {
  return {"train",
          "--model",
          "gcl4sr",
          "--corpus",
          corpus.string(),
          "--out",
          out.string(),
          "--epochs",
          std::to_string(epochs),
          "--batch_size",
          std::to_string(batch_size),
          "--lr",
          "0.005",
          "--weight_decay",
          "0.00005",
          "--grad_clip",
          "0",
          "--hidden_size",
          "16",
          "--max_seq_length",
          "12",
          "--sample_size_hop1",
          "5",
          "--lr_decay",
          "0.5",
          "--lr_decay_every",
          "1",
          "--loader_threads",
          "1",
          "--seed",
          "7"};
}

// A test suite over one small sequence corpus (200 users, 60 items in 4 clusters), made once for
// the whole suite: derive the suite's fixture from it.
class SmallSequenceCorpusSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    corpus_ = make_gcl4sr_corpus(tmp_->path(), 200, 60, 4);
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }
  static inline TempDir* tmp_ = nullptr;
  static inline std::filesystem::path corpus_;
};

}  // namespace rsdist::testing
