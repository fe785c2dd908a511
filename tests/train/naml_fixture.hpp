// A small synthetic MIND corpus and a small NAML configuration for the training tests: the real
// pipeline (synth -> preprocess -> train) at sizes a 2-core CI machine trains in seconds.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "app/cli_runner.hpp"

namespace rsdist::testing {

// `rsdist synth mind --preset small` + `rsdist preprocess mind --shards 2` into dir/raw,
// dir/corpus.
inline std::filesystem::path make_naml_corpus(const std::filesystem::path& dir) {
  const auto raw = dir / "raw";
  const auto corpus = dir / "corpus";
  CliResult r =
      run_rsdist({"synth", "mind", "--preset", "small", "--out", raw.string(), "--seed", "5"});
  EXPECT_EQ(r.code, 0) << r.err;
  r = run_rsdist({"preprocess", "mind", "--train", (raw / "train").string(), "--dev",
                  (raw / "dev").string(), "--glove", (raw / "glove.txt").string(), "--out",
                  corpus.string(), "--shards", "2"});
  EXPECT_EQ(r.code, 0) << r.err;
  return corpus;
}

// `rsdist train` arguments of a small NAML on `corpus`, writing `out`.
inline std::vector<std::string> naml_train_args(const std::filesystem::path& corpus,
                                                const std::filesystem::path& out, int epochs,
                                                int batch_size = 64) {
  return {"train",
          "--model",
          "naml",
          "--corpus",
          corpus.string(),
          "--out",
          out.string(),
          "--epochs",
          std::to_string(epochs),
          "--batch_size",
          std::to_string(batch_size),
          "--lr",
          "0.003",
          "--cnn_kernel_num",
          "32",
          "--attention_dim",
          "16",
          "--category_embedding_dim",
          "8",
          "--max_title_length",
          "12",
          "--max_abstract_length",
          "16",
          "--max_history_num",
          "10",
          "--seed",
          "7",
          "--loader_threads",
          "1"};
}

}  // namespace rsdist::testing
