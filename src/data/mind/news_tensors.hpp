// Per-news tensors and embedding matrices of the MIND corpus, as NNR's MIND_corpus.py builds them.
//
// title_ids, abstract_ids: [news, max_length] int32, the word ids of the first max_length tokens
//   (numbers -> <NUM>, words outside the vocabulary -> <UNK>), 0 (<PAD>) after the text.
// title_mask, abstract_mask: [news, max_length] uint8 0/1 (NNR's numpy bool), 1 on kept tokens.
//   The <PAD> news (row 0) has mask[0] = 1 so that attention over it is defined; a real news with
//   an empty abstract keeps an all-zero mask, as in NNR.
// title_entity_ids, abstract_entity_ids: [news, max_length] int32, the entity id at each kept
//   token, 0 where no entity falls (dictionaries.hpp explains the offset -> token mapping).
// category, subcategory: [news] int32 (row 0: 0, as NNR's np.zeros).
//
// Word embeddings [words, D] float32: the GloVe vector where GloVe has the word (the LAST line of a
//   duplicated GloVe word wins, as torchtext's stoi), otherwise mean(GloVe) + N(0, noise_std).
//   Every row but 0 takes this path, so <UNK> and <NUM> (looked up literally, normally absent from
//   GloVe) get mean + noise; row 0 (<PAD>) is zero.
// Entity / context embeddings [entities, dim] float32 from the splits' entity_embedding.vec /
//   context_embedding.vec read in the order given (train, dev, test: a later file overwrites an
//   earlier one's vector); entities without a vector stay zero.
//
// Where rsdist differs on purpose: GloVe is streamed once (the mean is accumulated in double while
// only vocabulary rows are kept), so a 1 GB GloVe file is never held in memory; NNR loads it whole
// through torchtext and averages in float32. The noise of row r comes from its own stream
// Rng::stream(seed, {kWordNoiseStream, r}), so a row does not depend on the order rows are visited.
// NNR requires context_embedding.vec in every split; here it is optional.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/mind/dictionaries.hpp"
#include "data/mind/vectors_reader.hpp"

namespace rsdist::mind {

// Defaults of NNR's config.py.
struct NewsTensorOptions {
  std::int32_t max_title_length = 32;
  std::int32_t max_abstract_length = 128;
};

// Row-major [news_count, length] arrays for one text field (title or abstract).
struct TextTensor {
  std::int32_t length = 0;                    // max_title_length or max_abstract_length
  std::vector<std::int32_t> word_ids;         // news_count x length
  std::vector<std::uint8_t> mask;             // news_count x length, 1 = a real token
  std::vector<std::int32_t> entity_ids;       // news_count x length
  std::int64_t tokens_before_truncation = 0;  // NNR's title_word_num / abstract_word_num
  std::int64_t truncated_texts = 0;           // news whose text had more than `length` tokens
};

struct NewsTensors {
  std::int64_t news_count = 0;  // rows, including row 0 = <PAD>
  TextTensor title;
  TextTensor abstract;
  std::vector<std::int32_t> category;     // news_count
  std::vector<std::int32_t> subcategory;  // news_count
};

NewsTensors build_news_tensors(const NewsCorpus& corpus, const Vocabulary& vocabulary,
                               const NewsTensorOptions& options = {});

// A [rows, dim] float32 matrix filled from vector files, with which rows a file supplied.
struct EmbeddingMatrix {
  std::int64_t rows = 0;
  std::int32_t dim = 0;
  std::vector<float> values;               // rows x dim, row-major
  std::vector<std::uint8_t> found;         // per row: 1 when a file gave its vector
  std::int64_t rows_found = 0;             // sum of `found`
  std::vector<VectorReadSummary> sources;  // one per file read, in order
  std::span<const float> row(std::int64_t r) const {
    return {values.data() + r * dim, static_cast<std::size_t>(dim)};
  }
};

inline constexpr std::uint64_t kWordNoiseStream = 0x776f72646e6f6973ull;  // "wordnois"

struct WordEmbeddingOptions {
  std::uint64_t seed = 1;
  double noise_std = 0.1;   // NNR: normal_(mean=0, std=0.1)
  VectorReadOptions glove;  // expected_dim 0: the dimension of the GloVe file's first line
};

struct WordEmbeddings {
  EmbeddingMatrix matrix;          // found[0] = 0 (<PAD> is zero whether or not GloVe has it)
  std::vector<float> glove_mean;   // dim
  std::int64_t glove_vectors = 0;  // GloVe lines averaged (duplicates included, as torchtext)
};

// One streaming pass over `glove_path` (GloVe text format).
WordEmbeddings build_word_embeddings(const Vocabulary& vocabulary, const std::string& glove_path,
                                     const WordEmbeddingOptions& options = {});

// NNR's entity_embedding_dim / context_embedding_dim default.
inline constexpr std::int32_t kEntityEmbeddingDim = 100;

// Entity (or context) vectors for the entities dictionary from MIND .vec files read in order.
// Every row stays zero when `paths` is empty (no context_embedding.vec, for example).
EmbeddingMatrix build_entity_embeddings(const Dictionary& entities,
                                        std::span<const std::string> paths,
                                        std::int32_t dim = kEntityEmbeddingDim,
                                        const VectorReadOptions& read_options = {});

// The paths `dir/name` that exist, for each dir in order (split folders train, dev, test).
std::vector<std::string> existing_files(std::span<const std::string> dirs, const std::string& name);

}  // namespace rsdist::mind
