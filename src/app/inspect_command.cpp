// `rsdist inspect DIR`: a corpus's manifest and summary statistics, or a checkpoint or run
// directory verified whole.
//
// The manifest part is the same for every kind; the statistics dispatch on the manifest's kind.
// A seq corpus is measured from its HDF5 datasets (so a damaged file shows), a ratings corpus
// prints its manifest counts and then sizes measured from ratings.h5; kinds without their
// own statistics print the manifest's counts. A mind corpus prints its manifest counts and then
// statistics measured from its HDF5 files.
#include <algorithm>
#include <filesystem>
#include <ostream>
#include <vector>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "data/mind/mind_corpus.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "data/seq/seq_corpus.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::app {
namespace {

void print_manifest(const std::string& dir, const data::CorpusManifest& m, std::ostream& out) {
  out << fmt::format("corpus:  {}\nkind:    {} (schema version {})\n", dir, m.kind,
                     m.schema_version);
  out << "inputs:\n";
  for (const auto& input : m.inputs) {
    out << fmt::format("  {:<18} {} ({} bytes, sha256 {})\n", input.role, input.path,
                       input.size_bytes, input.sha256);
  }
  out << "options:\n";
  for (const auto& [name, value] : m.options.items()) {
    out << fmt::format("  {:<18} {}\n", name,
                       value.is_string() ? value.get<std::string>() : value.dump());
  }
  out << "files:\n";
  for (const auto& file : m.files) out << fmt::format("  {:<18} {}\n", file.path, file.role);
}

void print_manifest_counts(const data::CorpusManifest& m, std::ostream& out) {
  out << "counts (from the manifest):\n";
  for (const auto& [name, value] : m.counts.items()) {
    out << fmt::format("  {:<18} {}\n", name, value.dump());
  }
}

void print_seq_statistics(const std::string& dir, std::ostream& out) {
  const seq::SeqCorpusCounts c = seq::read_seq_corpus_counts(dir);
  const auto per_user = [&](std::int64_t n) {
    return c.users > 0 ? static_cast<double>(n) / static_cast<double>(c.users) : 0.0;
  };
  out << "statistics (from " << seq::kSeqCorpusFileName << "):\n";
  out << fmt::format("  {:<18} {}\n", "users", c.users);
  out << fmt::format("  {:<18} {} (ids 1..{}; 0 is padding)\n", "items", c.items, c.items);
  out << fmt::format("  {:<18} {} ({:.2f} per user)\n", "interactions", c.interactions,
                     per_user(c.interactions));
  out << fmt::format("  {:<18} {} ({:.2f} per user)\n", "train interactions", c.train_interactions,
                     per_user(c.train_interactions));
  out << fmt::format("  {:<18} {} / {} / {}\n", "train/valid/test", c.train_examples,
                     c.valid_examples, c.test_examples);
  out << fmt::format("  {:<18} {} nodes, {} directed edges ({:.2f} per node)\n", "graph",
                     c.graph_nodes, c.graph_edges,
                     c.graph_nodes > 0
                         ? static_cast<double>(c.graph_edges) / static_cast<double>(c.graph_nodes)
                         : 0.0);
  if (c.attribute_table > 0) {
    const seq::ItemAttributeCounts& a = c.attributes;
    const std::int64_t items = a.items_with_attributes + a.items_without_attributes;
    out << fmt::format(
        "  {:<18} {} ids in use (table of {}, ids 1..{}; 0 is padding); {} of {} items have "
        "some ({:.1f}%), {:.2f} per item\n",
        "attributes", a.distinct_attributes, c.attribute_table, c.attribute_table - 1,
        a.items_with_attributes, items,
        items > 0 ? 100.0 * static_cast<double>(a.items_with_attributes) / static_cast<double>(items)
                  : 0.0,
        a.items_with_attributes > 0
            ? static_cast<double>(a.entries) / static_cast<double>(a.items_with_attributes)
            : 0.0);
  } else {
    out << fmt::format("  {:<18} none\n", "attributes");
  }
  if (c.negatives_per_user > 0) {
    out << fmt::format("  {:<18} {} per user (valid and test)\n", "negatives",
                       c.negatives_per_user);
  }
}

void print_ratings_statistics(const std::string& dir, std::ostream& out) {
  const ratings::RatingsCorpusStatistics s = ratings::read_ratings_corpus_statistics(dir);
  out << "statistics (from " << ratings::kRatingsCorpusFileName << "):\n";
  out << fmt::format("  {:<18} {}\n", "users", s.users);
  out << fmt::format("  {:<18} {}\n", "items", s.items);
  out << fmt::format("  {:<18} {} ({})\n", "interactions", s.interactions(),
                     s.implicit ? "implicit" : "explicit ratings");
  out << fmt::format("  {:<18} {:.6f}\n", "density", s.density());
  out << fmt::format("  {:<18} {}\n", "split", s.split);
  for (const auto& [name, n] : s.part_interactions) {
    out << fmt::format("  {:<18} {}\n", name, n);
  }
  if (s.negatives_per_user > 0) {
    out << fmt::format("  {:<18} {} per user (valid and test)\n", "negatives",
                       s.negatives_per_user);
  }
}

void print_mind_statistics(const std::string& dir, const data::CorpusManifest& m,
                           std::ostream& out) {
  const auto shards = static_cast<std::int32_t>(m.options.value("shards", 1));
  const mind::MindCorpusStatistics s = mind::read_mind_corpus_statistics(dir, shards);
  out << "statistics (from the HDF5 files):\n";
  out << fmt::format("  {:<18} {} (row 0 is <PAD>); title {} / abstract {} tokens\n", "news",
                     s.news, s.max_title_length, s.max_abstract_length);
  out << fmt::format("  {:<18} {} x {} (word embeddings)\n", "vocabulary", s.words, s.word_dim);
  out << fmt::format("  {:<18} {} x {}{}\n", "entities", s.entities, s.entity_dim,
                     s.context_dim > 0
                         ? fmt::format(" (+ context {} x {})", s.entities, s.context_dim)
                         : std::string(" (no context embeddings)"));
  std::string per_shard;
  for (const auto n : s.shard_samples)
    per_shard += (per_shard.empty() ? "" : ", ") + std::to_string(n);
  out << fmt::format("  {:<18} {} in {} shard(s): {}\n", "train samples", s.train_samples,
                     s.shard_samples.size(), per_shard);
  out << fmt::format("  {:<18} {:.2f} (max {})\n", "train mean history", s.train_mean_history,
                     s.max_history_num);
  out << fmt::format("  {:<18} {} impressions, {} candidates, mean history {:.2f}\n", "dev",
                     s.dev_impressions, s.dev_candidates, s.dev_mean_history);
  if (s.has_test) {
    out << fmt::format("  {:<18} {} impressions, {} candidates, mean history {:.2f}\n", "test",
                       s.test_impressions, s.test_candidates, s.test_mean_history);
  }
}

// Whole verification (every file's size and SHA-256) of one checkpoint; its progress when sound.
bool print_checkpoint(const std::filesystem::path& dir, std::ostream& out) {
  try {
    train::verify_checkpoint(dir);
    const train::CheckpointState s = train::read_checkpoint_progress(dir);
    const auto world = s.int_metadata.find("world_size");
    out << fmt::format("{}: verified; epoch {}, step {}, next batch {}{}\n", dir.string(), s.epoch,
                       s.global_step, s.sampler.next_batch,
                       world == s.int_metadata.end()
                           ? ""
                           : fmt::format(", saved by {} rank(s)", world->second));
    return true;
  } catch (const Error& e) {
    out << fmt::format("{}: DAMAGED: {}\n", dir.string(), e.what());
    return false;
  }
}

// A run directory: every checkpoint verified, what `best` is, what --resume would take. Exit 1
// when any checkpoint is damaged.
int inspect_run(const std::filesystem::path& run, std::ostream& out) {
  namespace fs = std::filesystem;
  const fs::path checkpoints = run / "checkpoints";
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(checkpoints)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && !entry.is_symlink() && name[0] != '.') dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  bool sound = true;
  for (const fs::path& dir : dirs) sound = print_checkpoint(dir, out) && sound;
  std::error_code ec;
  const fs::path best = fs::read_symlink(checkpoints / "best", ec);
  out << fmt::format("best -> {}\n", ec ? "(none)" : best.string());
  std::vector<train::RefusedCheckpoint> refused;
  const auto resume = train::find_resume_checkpoint(checkpoints, &refused);
  if (resume) {
    out << fmt::format("--resume would continue from {}\n", resume->filename().string());
  } else {
    out << (refused.empty() ? "--resume would start afresh: no checkpoint\n"
                            : "--resume would stop: no checkpoint verifies\n");
  }
  return sound ? 0 : 1;
}

}  // namespace

OptionSchema inspect_schema() {
  OptionSchema s("rsdist inspect");
  add_common_options(s);
  s.group("inspect")
      .add_string("dir", std::nullopt,
                  "a corpus directory (its manifest and statistics), a checkpoint or a run "
                  "directory (every checkpoint verified whole; exit 1 when one is damaged)")
      .required()
      .positional();
  return s;
}

int run_inspect(const Config& config, CommandIo& io) {
  const std::string& dir = config.get_string("dir");
  if (std::filesystem::exists(std::filesystem::path(dir) / "manifest.txt")) {
    return print_checkpoint(dir, io.out) ? 0 : 1;
  }
  if (std::filesystem::is_directory(std::filesystem::path(dir) / "checkpoints")) {
    return inspect_run(dir, io.out);
  }
  const data::CorpusManifest manifest = data::read_corpus_manifest(dir);
  print_manifest(dir, manifest, io.out);
  if (manifest.kind == "seq") {
    print_seq_statistics(dir, io.out);
  } else if (manifest.kind == "ratings") {
    print_manifest_counts(manifest, io.out);
    print_ratings_statistics(dir, io.out);
  } else if (manifest.kind == "mind" && manifest.options.contains("shards")) {
    print_manifest_counts(manifest, io.out);
    print_mind_statistics(dir, manifest, io.out);
  } else {
    print_manifest_counts(manifest, io.out);
  }
  return 0;
}

}  // namespace rsdist::app
