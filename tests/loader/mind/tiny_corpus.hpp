// A tiny MIND corpus for the loader tests: the `tiny` synth preset (300 news, 100 users, 400 train
// impressions), preprocessed in process into a temporary directory with short histories.
#pragma once

#include <cstdint>
#include <filesystem>

#include "data/mind/mind_corpus.hpp"
#include "data/synth/synth.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::loader::testing {

struct TinyCorpusOptions {
  std::int32_t shards = 3;
  std::int32_t max_history_num = 12;
  std::int32_t max_title_length = 16;
  std::int32_t max_abstract_length = 24;
};

class TinyCorpus {
 public:
  explicit TinyCorpus(const TinyCorpusOptions& options = {}) : dir_(tmp_ / "corpus") {
    synth::MindOptions synth;
    synth.seed = 5;
    synth.news = 300;
    synth.users = 100;
    synth.train_impressions = 400;
    synth.dev_impressions = 100;
    synth.test_impressions = 100;
    synth.word_dim = 8;
    synth.entity_dim = 4;
    const std::filesystem::path raw = tmp_ / "raw";
    std::filesystem::create_directories(raw);
    synth::write_mind(synth, raw);

    mind::MindCorpusOptions corpus;
    corpus.train_dir = (raw / "train").string();
    corpus.dev_dir = (raw / "dev").string();
    corpus.test_dir = (raw / "test").string();
    corpus.glove = (raw / "glove.txt").string();
    corpus.shards = options.shards;
    corpus.entity_dim = synth.entity_dim;
    corpus.behaviors.max_history_num = options.max_history_num;
    corpus.tensors.max_title_length = options.max_title_length;
    corpus.tensors.max_abstract_length = options.max_abstract_length;
    std::filesystem::create_directories(dir_);
    mind::write_mind_corpus(corpus, dir_);
  }

  const std::filesystem::path& dir() const { return dir_; }

 private:
  rsdist::testing::TempDir tmp_;
  std::filesystem::path dir_;
};

}  // namespace rsdist::loader::testing
