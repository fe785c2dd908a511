#include "data/mind/news_tensors.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace rsdist::mind {
namespace {

void fill_text(const TokenizedTexts& texts, const Vocabulary& vocabulary, std::int32_t length,
               TextTensor& out) {
  const std::size_t news_count = texts.size();
  const auto row_size = static_cast<std::size_t>(length);
  out.length = length;
  out.word_ids.assign(news_count * row_size, kPadIndex);
  out.mask.assign(news_count * row_size, 0);
  out.entity_ids.assign(news_count * row_size, 0);
  for (std::size_t news = 0; news < news_count; ++news) {
    const auto begin = static_cast<std::size_t>(texts.offsets[news]);
    const auto end = static_cast<std::size_t>(texts.offsets[news + 1]);
    const std::size_t tokens = end - begin;
    out.tokens_before_truncation += static_cast<std::int64_t>(tokens);
    if (tokens > row_size) ++out.truncated_texts;
    // NNR stops at max_length tokens; entities on dropped tokens are dropped with them.
    const std::size_t kept = std::min(tokens, row_size);
    const std::size_t row = news * row_size;
    for (std::size_t i = 0; i < kept; ++i) {
      const auto token = static_cast<std::size_t>(texts.token_ids[begin + i]);
      out.word_ids[row + i] = vocabulary.token_word[token];
      out.mask[row + i] = 1;
      out.entity_ids[row + i] = texts.entity_ids[begin + i];
    }
  }
  // The <PAD> news attends to its one (padding) position, as NNR's news_title_mask[0][0] = 1.
  if (news_count > 0 && length > 0) out.mask[0] = 1;
}

EmbeddingMatrix zero_matrix(std::int64_t rows, std::int32_t dim) {
  EmbeddingMatrix matrix;
  matrix.rows = rows;
  matrix.dim = dim;
  matrix.values.assign(static_cast<std::size_t>(rows) * static_cast<std::size_t>(dim), 0.0f);
  matrix.found.assign(static_cast<std::size_t>(rows), 0);
  return matrix;
}

void set_row(EmbeddingMatrix& matrix, std::int64_t row, std::span<const float> values) {
  std::copy(values.begin(), values.end(), matrix.values.begin() + row * matrix.dim);
  matrix.found[static_cast<std::size_t>(row)] = 1;
}

std::int64_t count_found(const std::vector<std::uint8_t>& found) {
  return std::count(found.begin(), found.end(), std::uint8_t{1});
}

}  // namespace

NewsTensors build_news_tensors(const NewsCorpus& corpus, const Vocabulary& vocabulary,
                               const NewsTensorOptions& options) {
  RSDIST_CHECK(options.max_title_length > 0 && options.max_abstract_length > 0,
               "max_title_length and max_abstract_length must be positive, got {} and {}",
               options.max_title_length, options.max_abstract_length);
  const std::size_t news_count = corpus.news_category.size();
  RSDIST_CHECK(corpus.titles.size() == news_count && corpus.abstracts.size() == news_count &&
                   vocabulary.token_word.size() == corpus.token_is_number.size(),
               "news corpus and vocabulary do not match ({} news, {} titles, {} abstracts)",
               news_count, corpus.titles.size(), corpus.abstracts.size());
  NewsTensors tensors;
  tensors.news_count = static_cast<std::int64_t>(news_count);
  fill_text(corpus.titles, vocabulary, options.max_title_length, tensors.title);
  fill_text(corpus.abstracts, vocabulary, options.max_abstract_length, tensors.abstract);
  tensors.category = corpus.news_category;
  tensors.subcategory = corpus.news_subcategory;
  return tensors;
}

WordEmbeddings build_word_embeddings(const Vocabulary& vocabulary, const std::string& glove_path,
                                     const WordEmbeddingOptions& options) {
  RSDIST_CHECK(options.noise_std >= 0.0, "word embedding noise_std must be >= 0, got {}",
               options.noise_std);
  const std::int64_t rows = vocabulary.words.size();
  WordEmbeddings out;
  std::vector<double> sum;  // double: 400k float32 rows summed in float lose ~3 digits
  const auto visit = [&](std::string_view word, std::span<const float> values) {
    if (sum.empty()) {
      sum.assign(values.size(), 0.0);
      out.matrix = zero_matrix(rows, static_cast<std::int32_t>(values.size()));
    }
    for (std::size_t d = 0; d < values.size(); ++d) sum[d] += values[d];
    ++out.glove_vectors;
    const std::int32_t row = vocabulary.words.find(word);
    if (row > kPadIndex) set_row(out.matrix, row, values);  // a later duplicate overwrites
  };
  out.matrix.sources.push_back(
      for_each_vector(glove_path, VectorFormat::kGloveText, options.glove, visit));
  RSDIST_CHECK(out.glove_vectors > 0,
               "{}: no word vectors; expected GloVe lines \"word v1 ... vD\"", glove_path);

  const std::size_t dim = sum.size();
  out.glove_mean.resize(dim);
  for (std::size_t d = 0; d < dim; ++d) {
    out.glove_mean[d] = static_cast<float>(sum[d] / static_cast<double>(out.glove_vectors));
  }
  for (std::int64_t row = 1; row < rows; ++row) {
    if (out.matrix.found[static_cast<std::size_t>(row)]) continue;
    Rng rng = Rng::stream(options.seed, {kWordNoiseStream, static_cast<std::uint64_t>(row)});
    float* values = out.matrix.values.data() + row * out.matrix.dim;
    for (std::size_t d = 0; d < dim; ++d) {
      values[d] = out.glove_mean[d] + static_cast<float>(options.noise_std * rng.normal());
    }
  }
  out.matrix.rows_found = count_found(out.matrix.found);
  return out;
}

EmbeddingMatrix build_entity_embeddings(const Dictionary& entities,
                                        std::span<const std::string> paths, std::int32_t dim,
                                        const VectorReadOptions& read_options) {
  RSDIST_CHECK(dim > 0, "entity embedding dimension must be positive, got {}", dim);
  EmbeddingMatrix matrix = zero_matrix(entities.size(), dim);
  VectorReadOptions options = read_options;
  options.expected_dim = dim;  // NNR asserts the configured dimension on every line
  const auto visit = [&](std::string_view wikidata_id, std::span<const float> values) {
    // <PAD> and <UNK> stay zero even if a file names them (NNR would overwrite them; no real
    // file does, and a non-zero padding row would leak into every padded token).
    const std::int32_t row = entities.find(wikidata_id);
    if (row > kUnkIndex) set_row(matrix, row, values);
  };
  for (const std::string& path : paths) {
    matrix.sources.push_back(for_each_vector(path, VectorFormat::kMindVec, options, visit));
  }
  matrix.rows_found = count_found(matrix.found);
  return matrix;
}

std::vector<std::string> existing_files(std::span<const std::string> dirs,
                                        const std::string& name) {
  std::vector<std::string> paths;
  for (const std::string& dir : dirs) {
    std::filesystem::path path = std::filesystem::path(dir) / name;
    std::error_code error;
    if (std::filesystem::is_regular_file(path, error)) paths.push_back(path.string());
  }
  return paths;
}

}  // namespace rsdist::mind
