// `rsdist inspect DIR`: a corpus's manifest and summary statistics.
//
// The manifest part is the same for every kind; the statistics dispatch on the manifest's kind.
// A seq corpus is measured from its HDF5 datasets (so a damaged file shows); kinds without their
// own statistics yet (mind, until issue 4 adds them) print the manifest's counts.
#include <ostream>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "data/seq/seq_corpus.hpp"

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
}

}  // namespace

OptionSchema inspect_schema() {
  OptionSchema s("rsdist inspect");
  add_common_options(s);
  s.group("inspect").add_string("dir", std::nullopt, "corpus directory").required().positional();
  return s;
}

int run_inspect(const Config& config, CommandIo& io) {
  const std::string& dir = config.get_string("dir");
  const data::CorpusManifest manifest = data::read_corpus_manifest(dir);
  print_manifest(dir, manifest, io.out);
  if (manifest.kind == "seq") {
    print_seq_statistics(dir, io.out);
  } else {
    print_manifest_counts(manifest, io.out);
  }
  return 0;
}

}  // namespace rsdist::app
