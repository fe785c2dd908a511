#include "data/mind/behaviors_writers.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "data/mind/mind_corpus.hpp"

namespace rsdist::mind {
namespace {

using Shape = std::vector<std::uint64_t>;
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

void write_root_attributes(h5::File& file, const std::string& kind) {
  file.write_attribute("/", "kind", kind);
  file.write_attribute("/", "schema_version", std::to_string(data::kCorpusSchemaVersion));
}

// The three history datasets of a file, under `prefix`.
struct HistoryWriters {
  HistoryWriters(h5::File& file, const std::string& prefix, std::int64_t rows, std::int32_t width)
      : news(file.create_rows(prefix + "history", h5::DType::kInt32, u64(rows), {u64(width)})),
        length(file.create_rows(prefix + "history_length", h5::DType::kInt32, u64(rows))),
        categories(file.create_rows(prefix + "history_categories", h5::DType::kInt32, u64(rows),
                                    {u64(width)})) {}
  void append(const HistoryBlock& block) {
    news.append(block.news);
    length.append(block.length);
    categories.append(block.categories);
  }
  void finish() {
    news.finish();
    length.finish();
    categories.finish();
  }
  h5::RowWriter news, length, categories;
};

}  // namespace

HistoryBlock history_block(const ImpressionTable& impressions,
                           const std::vector<std::int64_t>& rows,
                           const std::vector<std::int32_t>& news_category,
                           const HistoryGraphOptions& graph) {
  const std::size_t width = static_cast<std::size_t>(graph.max_history_num);
  HistoryBlock block;
  block.news.assign(rows.size() * width, 0);
  block.length.resize(rows.size());
  block.categories.resize(rows.size() * width);
  std::vector<std::int32_t> categories;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto history = impressions.history(static_cast<std::size_t>(rows[r]));
    RSDIST_CHECK(history.size() <= width, "a history longer than max_history_num ({} > {})",
                 history.size(), width);
    std::copy(history.begin(), history.end(),
              block.news.begin() + static_cast<std::ptrdiff_t>(r * width));
    block.length[r] = static_cast<std::int32_t>(history.size());
    categories.resize(history.size());
    for (std::size_t i = 0; i < history.size(); ++i) categories[i] = news_category[history[i]];
    history_category_indices(categories, graph,
                             std::span<std::int32_t>(block.categories).subspan(r * width, width));
  }
  return block;
}

// ---- train shards ---------------------------------------------------------------------------

struct TrainShardWriter::Shard {
  Shard(h5::File f, std::int64_t rows, std::int32_t width)
      : file(std::move(f)),
        impression(file.create_rows("impression", h5::DType::kInt32, u64(rows))),
        user(file.create_rows("user", h5::DType::kInt32, u64(rows))),
        history(file, "", rows, width),
        positive(file.create_rows("positive", h5::DType::kInt32, u64(rows))),
        negative_offsets(file.create_rows("negative_offsets", h5::DType::kInt64, u64(rows + 1))),
        negatives(file.create_rows("negatives", h5::DType::kInt32, h5::RowWriter::kGrowing)) {
    negative_offsets.append(std::vector<std::int64_t>{0});
  }
  h5::File file;
  h5::RowWriter impression, user;
  HistoryWriters history;
  h5::RowWriter positive, negative_offsets, negatives;
  std::int64_t negatives_written = 0;
};

TrainShardWriter::TrainShardWriter(std::filesystem::path dir, std::int64_t samples,
                                   std::int32_t shards,
                                   const std::vector<std::int32_t>& news_category,
                                   HistoryGraphOptions graph)
    : dir_(std::move(dir)),
      ranges_(shard_ranges(samples, shards)),
      news_category_(news_category),
      graph_(graph) {}

TrainShardWriter::~TrainShardWriter() = default;

void TrainShardWriter::open_shard(std::int32_t k) {
  const auto shards = static_cast<std::int32_t>(ranges_.size());
  h5::File file = h5::File::create(dir_ / train_shard_file_name(k, shards));
  write_root_attributes(file, "mind_train_shard");
  file.write_attribute("/", "shard", std::to_string(k));
  file.write_attribute("/", "shards", std::to_string(shards));
  const auto [begin, end] = ranges_[static_cast<std::size_t>(k)];
  file.write("sample_range", std::vector<std::int64_t>{begin, end});
  shard_ = std::make_unique<Shard>(std::move(file), end - begin, graph_.max_history_num);
  shard_index_ = k;
}

void TrainShardWriter::close_shard() {
  Shard& s = *shard_;
  s.impression.finish();
  s.user.finish();
  s.history.finish();
  s.positive.finish();
  s.negative_offsets.finish();
  s.negatives.finish();
  s.file.close();
  shard_.reset();
}

void TrainShardWriter::add(const TrainSamples& chunk, std::int64_t impression_base) {
  const auto n = static_cast<std::int64_t>(chunk.size());
  std::int64_t i = 0;
  while (i < n) {
    RSDIST_CHECK(next_sample_ < ranges_.back().second, "more train samples than the {} counted",
                 ranges_.back().second);
    // Shards may be empty only when samples < shards, which the corpus builder rejects.
    while (shard_index_ < 0 ||
           next_sample_ >= ranges_[static_cast<std::size_t>(shard_index_)].second) {
      if (shard_) close_shard();
      open_shard(shard_index_ + 1);
    }
    const std::int64_t shard_end = ranges_[static_cast<std::size_t>(shard_index_)].second;
    const std::int64_t take = std::min(n - i, shard_end - next_sample_);
    Shard& s = *shard_;
    std::vector<std::int32_t> impression(static_cast<std::size_t>(take)), user(impression.size()),
        positive(impression.size()), negatives;
    std::vector<std::int64_t> rows(impression.size()), offsets(impression.size());
    for (std::int64_t r = 0; r < take; ++r) {
      const auto k = static_cast<std::size_t>(i + r);
      impression[r] = chunk.sample_impression[k];
      rows[r] = impression[r] - impression_base;
      const auto local = static_cast<std::size_t>(rows[r]);
      user[r] = chunk.impressions.user[local];
      positive[r] = chunk.positive_news[k];
      // Negatives per sample (not per impression) so that every shard is self-contained: clicks
      // of one impression share its list, ~1.5x the storage on MIND, one indirection less.
      const auto neg = chunk.negatives(local);
      negatives.insert(negatives.end(), neg.begin(), neg.end());
      offsets[r] = s.negatives_written + static_cast<std::int64_t>(negatives.size());
    }
    s.impression.append(impression);
    s.user.append(user);
    s.history.append(history_block(chunk.impressions, rows, news_category_, graph_));
    s.positive.append(positive);
    s.negative_offsets.append(offsets);
    s.negatives.append(negatives);
    s.negatives_written += static_cast<std::int64_t>(negatives.size());
    next_sample_ += take;
    i += take;
  }
}

void TrainShardWriter::finish() {
  RSDIST_CHECK(next_sample_ == ranges_.back().second, "{} train samples written, {} counted",
               next_sample_, ranges_.back().second);
  if (shard_) close_shard();
}

// ---- dev.h5 / test.h5 -----------------------------------------------------------------------

struct EvalFileWriter::Datasets {
  Datasets(h5::File f, std::int64_t impressions, std::int64_t candidates, std::int32_t width)
      : file(std::move(f)),
        user(file.create_rows("impressions/user", h5::DType::kInt32, u64(impressions))),
        source_line(
            file.create_rows("impressions/source_line", h5::DType::kInt64, u64(impressions))),
        history(file, "impressions/", impressions, width),
        offsets(file.create_rows("impressions/candidate_offsets", h5::DType::kInt64,
                                 u64(impressions + 1))),
        candidate_impression(
            file.create_rows("candidates/impression", h5::DType::kInt32, u64(candidates))),
        candidate_news(file.create_rows("candidates/news", h5::DType::kInt32, u64(candidates))),
        label(file.create_rows("candidates/label", h5::DType::kInt32, u64(candidates))) {
    offsets.append(std::vector<std::int64_t>{0});
  }
  h5::File file;
  h5::RowWriter user, source_line;
  HistoryWriters history;
  h5::RowWriter offsets, candidate_impression, candidate_news, label;
};

EvalFileWriter::EvalFileWriter(const std::filesystem::path& path, std::int64_t impressions,
                               std::int64_t candidates,
                               const std::vector<std::int32_t>& news_category,
                               HistoryGraphOptions graph)
    : news_category_(news_category), graph_(graph) {
  h5::File file = h5::File::create(path);
  write_root_attributes(file, "mind_eval");
  d_ = std::make_unique<Datasets>(std::move(file), impressions, candidates, graph.max_history_num);
}

EvalFileWriter::~EvalFileWriter() = default;

void EvalFileWriter::add(const EvalSamples& chunk, std::int64_t impression_base) {
  RSDIST_CHECK(impression_base == next_impression_,
               "eval chunk starts at impression {}, expected {}", impression_base,
               next_impression_);
  const auto rows = static_cast<std::int64_t>(chunk.impressions.size());
  d_->user.append(chunk.impressions.user);
  d_->source_line.append(chunk.impressions.source_line);
  std::vector<std::int64_t> local(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) local[static_cast<std::size_t>(r)] = r;
  d_->history.append(history_block(chunk.impressions, local, news_category_, graph_));
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(rows), 0);
  for (const std::int32_t imp : chunk.candidate_impression) {
    ++offsets[static_cast<std::size_t>(imp - impression_base)];
  }
  std::int64_t running = candidates_written_;
  for (auto& o : offsets) o = running += o;
  d_->offsets.append(offsets);
  d_->candidate_impression.append(chunk.candidate_impression);
  d_->candidate_news.append(chunk.candidate_news);
  d_->label.append(std::vector<std::int32_t>(chunk.label.begin(), chunk.label.end()));
  candidates_written_ = running;
  next_impression_ += rows;
}

void EvalFileWriter::finish() {
  d_->user.finish();
  d_->source_line.finish();
  d_->history.finish();
  d_->offsets.finish();
  d_->candidate_impression.finish();
  d_->candidate_news.finish();
  d_->label.finish();
  d_->file.close();
}

}  // namespace rsdist::mind
