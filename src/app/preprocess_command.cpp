// `rsdist preprocess seq|mind`: raw data -> a corpus directory, written atomically.
#include <chrono>
#include <ostream>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "core/staging.hpp"
#include "data/seq/seq_corpus.hpp"

namespace rsdist::app {
namespace {

int preprocess_seq(const Config& config, CommandIo& io) {
  // Required only for `seq`, so that the schema leaves room for the MIND options (issue 4).
  RSDIST_CHECK(config.has("input"), "rsdist preprocess seq: --input FILE is required");
  seq::SeqCorpusOptions options;
  options.input = config.get_string("input");
  options.format = config.get_string("format");
  options.normalization = seq::parse_witg_normalization(config.get_string("witg_normalization"));

  const auto start = std::chrono::steady_clock::now();
  StagingDirectory staging(config.get_string("out"), config.get_bool("force"));
  const seq::SeqCorpusCounts c = seq::write_seq_corpus(options, staging.path());
  staging.commit();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  io.log.root->info(
      "preprocess seq: wrote {} in {:.2f} s ({} users, {} items, {} interactions; "
      "train/valid/test {}/{}/{}; graph {} nodes, {} edges, normalization {})",
      staging.destination().string(), seconds, c.users, c.items, c.interactions, c.train_examples,
      c.valid_examples, c.test_examples, c.graph_nodes, c.graph_edges,
      seq::witg_normalization_name(options.normalization));
  return 0;
}

}  // namespace

OptionSchema preprocess_schema() {
  OptionSchema s("rsdist preprocess");
  add_common_options(s);
  s.group("preprocess")
      .add_string("kind", std::nullopt, "what to preprocess: seq (sequences), mind (issue 4)")
      .required()
      .positional()
      .choices({"seq", "mind"})
      .add_string("out", std::nullopt, "corpus directory (written atomically)")
      .required()
      .add_flag("force", "replace an existing corpus directory");
  s.group("seq")
      .add_string("input", std::nullopt,
                  "sequence file: GCL4SR 'user i1,i2,...' or S3Rec 'user i i ...' lines")
      .add_string("format", "auto", "input format; auto: comma-separated if any ',' occurs")
      .choices({"auto", "gcl4sr", "s3rec"})
      .add_string("witg_normalization", "none",
                  "item transition graph weights: none (the seed notebook) or renorm (the "
                  "official code: w * (1/deg(row) + 1/deg(col)))")
      .choices({"none", "renorm"});
  return s;
}

int run_preprocess(const Config& config, CommandIo& io) {
  const std::string& kind = config.get_string("kind");
  if (kind == "seq") return preprocess_seq(config, io);
  RSDIST_THROW("rsdist preprocess {}: not implemented yet (issue 4)", kind);
}

}  // namespace rsdist::app
