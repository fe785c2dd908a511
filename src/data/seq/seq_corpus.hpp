// The sequence corpus: what `rsdist preprocess seq` writes and what GCL4SR training reads.
//
// A corpus directory holds sequences.h5 (schema: docs/corpus_seq.md) and manifest.json
// (data/corpus_manifest.hpp), the manifest written last. sequences.h5 holds, all as CSR or flat
// arrays indexed by the corpus row of a user (input order, not the user id):
//   sequences/      the users' whole sequences
//   splits/         train/valid/test examples as (row, prefix length, target), as SequenceSplits
//   all_train_seq/  each sequence minus its last two items (the graph's input)
//   train_matrix/   each user's distinct training items, sorted: the mask of full-ranking
//   evaluation
//   witg/           the weighted item transition graph, attribute "normalization"
//   item_attributes/ (with --attributes) each item's attribute ids (data/seq/item_attributes.hpp)
//   sampled_negatives  (with --negatives N > 0) N candidates per user for the sampled protocol
//                      (data/seq/sampled_negatives.hpp)
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>
#include <string>

#include "data/seq/item_attributes.hpp"
#include "data/seq/sequence_reader.hpp"
#include "data/seq/sequence_splits.hpp"
#include "data/seq/witg.hpp"

namespace rsdist::seq {

inline constexpr const char* kSeqCorpusFileName = "sequences.h5";

inline constexpr std::int64_t kDefaultNegatives = 99;  // S3-Rec's data/generate_test.py

struct SeqCorpusOptions {
  std::string input;            // a GCL4SR or S3Rec sequence file
  std::string format = "auto";  // auto | gcl4sr | s3rec (see parse_sequence_format)
  WitgNormalization normalization = WitgNormalization::kNone;
  std::string attributes;           // item -> attribute ids JSON (empty: none)
  // Sampled candidates per user (0: none). Unset: kDefaultNegatives where every user has that many
  // items to draw from, else none (and the log says why); a set count that cannot be met is an
  // error naming the user.
  std::optional<std::int64_t> negatives;
  std::uint64_t seed = 1;           // of the sampled candidates
};

// Everything sequences.h5 stores, in memory.
struct SeqCorpus {
  SequenceCorpus sequences;
  SequenceSplits splits;
  SequenceCorpus train_matrix;  // same users/rows as `sequences`
  WeightedGraph graph;
  WitgNormalization normalization = WitgNormalization::kNone;
  ItemAttributes attributes;  // empty without --attributes
  std::int64_t negatives_per_user = 0;
  std::vector<std::int32_t> sampled_negatives;  // [users * negatives_per_user], row-major

  // Row r's stored candidates (negatives_per_user > 0).
  std::span<const std::int32_t> negatives_of(std::size_t r) const {
    const auto n = static_cast<std::size_t>(negatives_per_user);
    return {sampled_negatives.data() + r * n, n};
  }
};

struct SeqCorpusCounts {
  std::int64_t users = 0;
  std::int64_t items = 0;  // largest item id (ids are 1..items; 0 is padding)
  std::int64_t interactions = 0;
  std::int64_t train_examples = 0;
  std::int64_t valid_examples = 0;
  std::int64_t test_examples = 0;
  std::int64_t train_interactions = 0;  // items in all_train_seq
  std::int64_t graph_nodes = 0;
  std::int64_t graph_edges = 0;  // directed (CSR entries)
  std::int64_t attribute_table = 0;  // largest attribute id + 1 (0: no attributes)
  ItemAttributeCounts attributes;     // unknown_items only as written by write_seq_corpus
  std::int64_t negatives_per_user = 0;
  std::string negatives_note;  // why the default count was not stored, or empty
};

// Each user's distinct items of `train_sequences`, sorted ascending (users and rows kept).
SequenceCorpus training_rating_matrix(const SequenceCorpus& train_sequences);

// Splits, graph and mask of `sequences`. The graph has max item + 1 nodes over the whole corpus
// (not only the training part) so that every item id, targets included, is a node; on data where
// every item occurs in training (Home) that equals the reference's node count.
SeqCorpus build_seq_corpus(SequenceCorpus sequences, WitgNormalization normalization);

// Adds the sampled candidates of the corpus's users (sampled_negatives.hpp).
void add_sampled_negatives(SeqCorpus& corpus, std::int64_t per_user, std::uint64_t seed);
// The fewest items a user of `sequences` never interacted with (among the corpus's items).
std::int64_t fewest_eligible_items(const SequenceCorpus& sequences);
// Whether item i occurs in the corpus's sequences, for i in 0..max item.
std::vector<bool> items_present(const SequenceCorpus& sequences);

// Reads options.input (and options.attributes) and writes DIR/sequences.h5 then DIR/manifest.json (DIR exists, e.g. a
// staging directory). Returns the counts also recorded in the manifest.
SeqCorpusCounts write_seq_corpus(const SeqCorpusOptions& options, const std::filesystem::path& dir);

// Writes the HDF5 file alone (no manifest).
void write_seq_corpus_file(const SeqCorpus& corpus, const std::filesystem::path& file);

// Reads DIR/sequences.h5 whole.
SeqCorpus read_seq_corpus(const std::filesystem::path& dir);

SeqCorpusCounts count_seq_corpus(const SeqCorpus& corpus);
// The counts of DIR/sequences.h5, from dataset shapes and the item ids (the graph is not read).
SeqCorpusCounts read_seq_corpus_counts(const std::filesystem::path& dir);

}  // namespace rsdist::seq
