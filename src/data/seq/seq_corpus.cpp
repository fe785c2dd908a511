#include "data/seq/seq_corpus.hpp"

#include <algorithm>
#include <span>

#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "data/hdf5/file.hpp"
#include "data/seq/sampled_negatives.hpp"

namespace rsdist::seq {
namespace {

void write_csr(h5::File& file, const std::string& group, const SequenceCorpus& csr) {
  file.write(group + "/offsets", csr.offsets);
  file.write(group + "/items", csr.items);
}

void write_examples(h5::File& file, const std::string& group, const PrefixExamples& examples) {
  file.write(group + "/rows", examples.rows);
  file.write(group + "/prefix_lengths", examples.prefix_lengths);
  file.write(group + "/targets", examples.targets);
}

// A CSR stored without its own user ids takes them from sequences/user_ids.
SequenceCorpus read_csr(const h5::File& file, const std::string& group,
                        const std::vector<std::int64_t>& users) {
  SequenceCorpus csr;
  csr.users = users;
  csr.offsets = file.read<std::int64_t>(group + "/offsets");
  csr.items = file.read<std::int32_t>(group + "/items");
  RSDIST_CHECK(csr.offsets.size() == users.size() + 1 && csr.offsets.front() == 0 &&
                   csr.offsets.back() == static_cast<std::int64_t>(csr.items.size()),
               "{}: '{}' is not a CSR over {} users (offsets {}, items {})", file.path(), group,
               users.size(), csr.offsets.size(), csr.items.size());
  return csr;
}

PrefixExamples read_examples(const h5::File& file, const std::string& group) {
  PrefixExamples examples;
  examples.rows = file.read<std::int64_t>(group + "/rows");
  examples.prefix_lengths = file.read<std::int32_t>(group + "/prefix_lengths");
  examples.targets = file.read<std::int32_t>(group + "/targets");
  RSDIST_CHECK(examples.prefix_lengths.size() == examples.rows.size() &&
                   examples.targets.size() == examples.rows.size(),
               "{}: the datasets of '{}' differ in length", file.path(), group);
  return examples;
}

std::int64_t rows_of(const h5::File& file, const std::string& dataset) {
  return static_cast<std::int64_t>(file.info(dataset).shape.at(0));
}

std::vector<bool> present_items(std::span<const std::int32_t> items, std::int32_t max_item) {
  std::vector<bool> present(static_cast<std::size_t>(max_item) + 1, false);
  for (const std::int32_t item : items) present[static_cast<std::size_t>(item)] = true;
  return present;
}

// The item_attributes group, checked to be a CSR over items 0..max_item with ids in
// [1, num_attributes).
ItemAttributes read_attributes_group(const h5::File& file, std::int32_t max_item) {
  ItemAttributes a;
  a.offsets = file.read<std::int64_t>("item_attributes/offsets");
  a.attributes = file.read<std::int32_t>("item_attributes/attributes");
  a.num_attributes = std::stoll(file.read_attribute("item_attributes", "num_attributes"));
  RSDIST_CHECK(a.offsets.size() == static_cast<std::size_t>(max_item) + 2 &&
                   a.offsets.front() == 0 &&
                   a.offsets.back() == static_cast<std::int64_t>(a.attributes.size()) &&
                   std::all_of(a.attributes.begin(), a.attributes.end(),
                               [&](std::int32_t v) { return v >= 1 && v < a.num_attributes; }),
               "{}: 'item_attributes' is not a CSR over items 0..{} with ids below {}",
               file.path(), max_item, a.num_attributes);
  return a;
}

nlohmann::ordered_json counts_json(const SeqCorpusCounts& c) {
  return {{"users", c.users},
          {"items", c.items},
          {"interactions", c.interactions},
          {"train_examples", c.train_examples},
          {"valid_examples", c.valid_examples},
          {"test_examples", c.test_examples},
          {"train_interactions", c.train_interactions},
          {"graph_nodes", c.graph_nodes},
          {"graph_edges", c.graph_edges},
          {"attribute_table", c.attribute_table},
          {"items_with_attributes", c.attributes.items_with_attributes},
          {"items_without_attributes", c.attributes.items_without_attributes},
          {"unknown_attribute_items", c.attributes.unknown_items},
          {"distinct_attributes", c.attributes.distinct_attributes},
          {"attribute_entries", c.attributes.entries},
          {"negatives_per_user", c.negatives_per_user}};
}

}  // namespace

SequenceCorpus training_rating_matrix(const SequenceCorpus& train_sequences) {
  SequenceCorpus matrix;
  matrix.users = train_sequences.users;
  matrix.offsets.reserve(train_sequences.offsets.size());
  matrix.items.reserve(train_sequences.items.size());
  std::vector<std::int32_t> row;
  for (std::size_t r = 0; r < train_sequences.num_sequences(); ++r) {
    const auto items = train_sequences.sequence(r);
    row.assign(items.begin(), items.end());
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());
    matrix.items.insert(matrix.items.end(), row.begin(), row.end());
    matrix.offsets.push_back(static_cast<std::int64_t>(matrix.items.size()));
  }
  return matrix;
}

SeqCorpus build_seq_corpus(SequenceCorpus sequences, WitgNormalization normalization) {
  SeqCorpus corpus;
  corpus.splits = split_sequences(sequences);
  corpus.train_matrix = training_rating_matrix(corpus.splits.all_train_sequences);
  WitgOptions witg;
  witg.normalization = normalization;
  witg.num_nodes = static_cast<std::int64_t>(sequences.max_item()) + 1;
  corpus.graph = build_witg(corpus.splits.all_train_sequences, witg);
  corpus.normalization = normalization;
  corpus.sequences = std::move(sequences);
  return corpus;
}

std::vector<bool> items_present(const SequenceCorpus& sequences) {
  return present_items(sequences.items, sequences.max_item());
}

std::int64_t fewest_eligible_items(const SequenceCorpus& sequences) {
  const std::vector<bool> present = items_present(sequences);
  const auto pool = std::count(present.begin(), present.end(), true);
  const SequenceCorpus distinct = training_rating_matrix(sequences);  // each row's distinct items
  std::int64_t fewest = pool;
  for (std::size_t r = 0; r < distinct.num_sequences(); ++r) {
    fewest = std::min<std::int64_t>(fewest, pool - static_cast<std::int64_t>(distinct.sequence(r).size()));
  }
  return fewest;
}

void add_sampled_negatives(SeqCorpus& corpus, std::int64_t per_user, std::uint64_t seed) {
  corpus.sampled_negatives = sample_user_negatives(corpus.sequences, per_user, seed);
  corpus.negatives_per_user = per_user;
}

SeqCorpusCounts count_seq_corpus(const SeqCorpus& corpus) {
  SeqCorpusCounts c;
  c.users = static_cast<std::int64_t>(corpus.sequences.num_sequences());
  c.items = corpus.sequences.max_item();
  c.interactions = static_cast<std::int64_t>(corpus.sequences.items.size());
  c.train_examples = static_cast<std::int64_t>(corpus.splits.train.size());
  c.valid_examples = static_cast<std::int64_t>(corpus.splits.valid.size());
  c.test_examples = static_cast<std::int64_t>(corpus.splits.test.size());
  c.train_interactions = static_cast<std::int64_t>(corpus.splits.all_train_sequences.items.size());
  c.graph_nodes = corpus.graph.num_nodes;
  c.graph_edges = corpus.graph.num_edges();
  c.attribute_table = corpus.attributes.num_attributes;
  if (!corpus.attributes.empty()) {
    c.attributes = count_item_attributes(corpus.attributes, items_present(corpus.sequences));
  }
  c.negatives_per_user = corpus.negatives_per_user;
  return c;
}

void write_seq_corpus_file(const SeqCorpus& corpus, const std::filesystem::path& path) {
  h5::File file = h5::File::create(path);
  file.write_attribute("/", "kind", "seq");
  file.write_attribute("/", "schema_version", std::to_string(data::kCorpusSchemaVersion));
  file.write("sequences/user_ids", corpus.sequences.users);
  write_csr(file, "sequences", corpus.sequences);
  write_examples(file, "splits/train", corpus.splits.train);
  write_examples(file, "splits/valid", corpus.splits.valid);
  write_examples(file, "splits/test", corpus.splits.test);
  write_csr(file, "all_train_seq", corpus.splits.all_train_sequences);
  write_csr(file, "train_matrix", corpus.train_matrix);
  file.write("witg/row_offsets", corpus.graph.row_offsets);
  file.write("witg/columns", corpus.graph.columns);
  file.write("witg/weights", corpus.graph.weights);
  file.write_attribute("witg", "normalization",
                       std::string(witg_normalization_name(corpus.normalization)));
  if (!corpus.attributes.empty()) {
    file.write("item_attributes/offsets", corpus.attributes.offsets);
    file.write("item_attributes/attributes", corpus.attributes.attributes);
    file.write_attribute("item_attributes", "num_attributes",
                         std::to_string(corpus.attributes.num_attributes));
  }
  if (corpus.negatives_per_user > 0) {
    file.write("sampled_negatives", corpus.sampled_negatives,
               {corpus.sequences.num_sequences(),
                static_cast<std::uint64_t>(corpus.negatives_per_user)});
  }
  file.close();
}

SeqCorpusCounts write_seq_corpus(const SeqCorpusOptions& options,
                                 const std::filesystem::path& dir) {
  data::CorpusManifest manifest;
  manifest.kind = "seq";
  // Digest first: it reads the file the parser then reads, and records exactly those bytes.
  manifest.inputs.push_back(data::describe_input("sequences", options.input));
  SeqCorpus corpus = build_seq_corpus(
      read_sequences(options.input, parse_sequence_format(options.format)), options.normalization);
  ItemAttributeCounts attribute_counts;
  if (!options.attributes.empty()) {
    manifest.inputs.push_back(data::describe_input("item_attributes", options.attributes));
    corpus.attributes = read_item_attributes(options.attributes, items_present(corpus.sequences),
                                             &attribute_counts);
  }
  std::string negatives_note;
  if (options.negatives) {
    if (*options.negatives > 0) add_sampled_negatives(corpus, *options.negatives, options.seed);
  } else if (const std::int64_t fewest = fewest_eligible_items(corpus.sequences);
             fewest >= kDefaultNegatives) {
    add_sampled_negatives(corpus, kDefaultNegatives, options.seed);
  } else {
    negatives_note = fmt::format(
        "no sampled negatives stored: a user has only {} items they never interacted with, "
        "fewer than the default {}; pass --negatives N to store fewer",
        fewest, kDefaultNegatives);
  }
  write_seq_corpus_file(corpus, dir / kSeqCorpusFileName);

  SeqCorpusCounts counts = count_seq_corpus(corpus);
  counts.attributes.unknown_items = attribute_counts.unknown_items;
  counts.negatives_note = negatives_note;
  manifest.options = {{"format", options.format},
                      {"witg_normalization", witg_normalization_name(options.normalization)},
                      {"witg_max_window", WitgOptions{}.max_window},
                      {"negatives", counts.negatives_per_user},
                      {"seed", options.seed}};
  manifest.counts = counts_json(counts);
  manifest.files.push_back({kSeqCorpusFileName,
                            "sequences, train/valid/test splits, all_train_seq, training matrix "
                            "(evaluation mask), weighted item transition graph, item attributes, "
                            "sampled candidates"});
  data::write_corpus_manifest(dir, manifest);
  return counts;
}

SeqCorpus read_seq_corpus(const std::filesystem::path& dir) {
  const h5::File file = h5::File::open(dir / kSeqCorpusFileName);
  SeqCorpus corpus;
  const auto users = file.read<std::int64_t>("sequences/user_ids");
  corpus.sequences = read_csr(file, "sequences", users);
  corpus.splits.train = read_examples(file, "splits/train");
  corpus.splits.valid = read_examples(file, "splits/valid");
  corpus.splits.test = read_examples(file, "splits/test");
  corpus.splits.all_train_sequences = read_csr(file, "all_train_seq", users);
  corpus.train_matrix = read_csr(file, "train_matrix", users);
  corpus.graph.row_offsets = file.read<std::int64_t>("witg/row_offsets");
  corpus.graph.columns = file.read<std::int32_t>("witg/columns");
  corpus.graph.weights = file.read<float>("witg/weights");
  corpus.graph.num_nodes = static_cast<std::int64_t>(corpus.graph.row_offsets.size()) - 1;
  RSDIST_CHECK(
      corpus.graph.num_nodes >= 0 && corpus.graph.columns.size() == corpus.graph.weights.size() &&
          corpus.graph.row_offsets.back() == static_cast<std::int64_t>(corpus.graph.columns.size()),
      "{}: 'witg' is not a CSR graph", file.path());
  corpus.normalization = parse_witg_normalization(file.read_attribute("witg", "normalization"));
  if (file.exists("item_attributes")) {
    corpus.attributes = read_attributes_group(file, corpus.sequences.max_item());
  }
  if (file.exists("sampled_negatives")) {
    const h5::DatasetInfo info = file.info("sampled_negatives");
    RSDIST_CHECK(info.shape.size() == 2 && info.shape[0] == corpus.sequences.num_sequences(),
                 "{}: 'sampled_negatives' is not a [users, N] table", file.path());
    corpus.negatives_per_user = static_cast<std::int64_t>(info.shape[1]);
    corpus.sampled_negatives = file.read<std::int32_t>("sampled_negatives");
  }
  return corpus;
}

SeqCorpusCounts read_seq_corpus_counts(const std::filesystem::path& dir) {
  const h5::File file = h5::File::open(dir / kSeqCorpusFileName);
  SeqCorpusCounts c;
  c.users = rows_of(file, "sequences/user_ids");
  const auto items = file.read<std::int32_t>("sequences/items");
  c.items = items.empty() ? 0 : *std::max_element(items.begin(), items.end());
  c.interactions = static_cast<std::int64_t>(items.size());
  c.train_examples = rows_of(file, "splits/train/rows");
  c.valid_examples = rows_of(file, "splits/valid/rows");
  c.test_examples = rows_of(file, "splits/test/rows");
  c.train_interactions = rows_of(file, "all_train_seq/items");
  c.graph_nodes = rows_of(file, "witg/row_offsets") - 1;
  c.graph_edges = rows_of(file, "witg/columns");
  if (file.exists("item_attributes")) {
    // Coverage is counted over the items the sequences hold (read above).
    const ItemAttributes a = read_attributes_group(file, static_cast<std::int32_t>(c.items));
    c.attribute_table = a.num_attributes;
    c.attributes = count_item_attributes(a, present_items(items, static_cast<std::int32_t>(c.items)));
  }
  if (file.exists("sampled_negatives")) {
    c.negatives_per_user = static_cast<std::int64_t>(file.info("sampled_negatives").shape.at(1));
  }
  return c;
}

}  // namespace rsdist::seq
