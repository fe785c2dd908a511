// Readers for pre-trained vectors: GloVe text ("word v1 ... vD", space-separated, D taken from the
// first line; a "COUNT DIM" header line, as word2vec-style files have, is skipped like torchtext
// does) and MIND's entity/context .vec ("Q123\tv1\t...\tvD\t", a trailing tab, blank lines ignored).
// Files are streamed in blocks, so a 1 GB GloVe file never sits in memory whole.
//
// Bad lines (wrong dimension, a value that is not a float) stop with "file:line: ..." or, with
// skip_bad_lines, are counted. A word that is not valid UTF-8 (one real GloVe file carries cp1252
// bytes) is an error naming file:line, or, with skip_invalid_utf8_words, skipped and counted the way
// torchtext's GloVe loader drops such tokens.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "data/mind/text_file.hpp"

namespace rsdist::mind {

enum class VectorFormat { kGloveText, kMindVec };

struct VectorReadOptions {
  std::int32_t expected_dim = 0;  // 0: take the dimension from the first vector line
  bool skip_bad_lines = false;
  bool skip_invalid_utf8_words = false;
};

struct VectorReadSummary {
  std::string path;
  std::int32_t dim = 0;
  std::int64_t vectors = 0;  // lines delivered to the callback
  std::int64_t header_lines = 0;
  SkipReport bad_lines;
  SkipReport invalid_utf8_words;
};

using VectorVisitor = std::function<void(std::string_view word, std::span<const float> values)>;

VectorReadSummary for_each_vector(const std::string& path, VectorFormat format, const VectorReadOptions& options,
                                  const VectorVisitor& visit);
// The same over bytes already in memory (tests, fuzzing).
VectorReadSummary for_each_vector_in(std::string_view content, const std::string& path, VectorFormat format,
                                     const VectorReadOptions& options, const VectorVisitor& visit);

// Everything in one table (entity files are small; prefer for_each_vector for GloVe).
struct VectorTable {
  std::int32_t dim = 0;
  std::vector<std::string> words;
  std::vector<float> values;  // words.size() x dim, row-major
  VectorReadSummary summary;
  std::span<const float> row(std::size_t i) const { return {values.data() + i * static_cast<std::size_t>(dim), static_cast<std::size_t>(dim)}; }
};
VectorTable read_vectors(const std::string& path, VectorFormat format, const VectorReadOptions& options = {});

}  // namespace rsdist::mind
