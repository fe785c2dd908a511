// Streamed writers of the behaviors part of the MIND corpus (docs/corpus_mind.md): the train
// shards and dev.h5/test.h5, fed one chunk of samples at a time in file order, so that writing
// holds one chunk in memory, never the whole split. Sizes are known up front (the corpus builder's
// first pass counts them), so every dataset gets the layout a whole-array write would give it;
// only a shard's `negatives`, whose length depends on the split point, grows as it is written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "data/hdf5/file.hpp"
#include "data/mind/behaviors.hpp"
#include "data/mind/history_graph.hpp"

namespace rsdist::mind {

// Per-row history datasets ([rows, H] news, [rows] length, [rows, H] categories) of a chunk.
struct HistoryBlock {
  std::vector<std::int32_t> news, length, categories;
};
// The histories of impressions `rows` (chunk-local indices) padded to graph.max_history_num.
HistoryBlock history_block(const ImpressionTable& impressions,
                           const std::vector<std::int64_t>& rows,
                           const std::vector<std::int32_t>& news_category,
                           const HistoryGraphOptions& graph);

class TrainShardWriter {
 public:
  // `samples` train samples split into `shards` files train-KKKKK-of-NNNNN.h5 in `dir`.
  TrainShardWriter(std::filesystem::path dir, std::int64_t samples, std::int32_t shards,
                   const std::vector<std::int32_t>& news_category, HistoryGraphOptions graph);
  ~TrainShardWriter();
  TrainShardWriter(const TrainShardWriter&) = delete;
  TrainShardWriter& operator=(const TrainShardWriter&) = delete;

  // The next chunk's samples; its first impression is `impression_base`.
  void add(const TrainSamples& chunk, std::int64_t impression_base);
  // Checks that every sample arrived and closes the last shard.
  void finish();

 private:
  struct Shard;
  void open_shard(std::int32_t k);
  void close_shard();

  std::filesystem::path dir_;
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges_;
  const std::vector<std::int32_t>& news_category_;
  HistoryGraphOptions graph_;
  std::int64_t next_sample_ = 0;
  std::int32_t shard_index_ = -1;
  std::unique_ptr<Shard> shard_;
};

class EvalFileWriter {
 public:
  EvalFileWriter(const std::filesystem::path& path, std::int64_t impressions,
                 std::int64_t candidates, const std::vector<std::int32_t>& news_category,
                 HistoryGraphOptions graph);
  ~EvalFileWriter();
  EvalFileWriter(const EvalFileWriter&) = delete;
  EvalFileWriter& operator=(const EvalFileWriter&) = delete;

  void add(const EvalSamples& chunk, std::int64_t impression_base);
  void finish();

 private:
  struct Datasets;
  const std::vector<std::int32_t>& news_category_;
  HistoryGraphOptions graph_;
  std::int64_t next_impression_ = 0;
  std::int64_t candidates_written_ = 0;
  std::unique_ptr<Datasets> d_;
};

}  // namespace rsdist::mind
