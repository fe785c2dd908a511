// `rsdist preprocess seq` and `rsdist inspect` end to end: synthetic sequences through the CLI,
// the HDF5 corpus read back and compared with the in-memory splits and graph, atomic output,
// --force, determinism, h5py readability, and the real Amazon Home data where it is present.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "app/cli.hpp"
#include "app/cli_runner.hpp"
#include "data/corpus_manifest.hpp"
#include "data/seq/seq_corpus.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::app {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

using Result = rsdist::testing::CliResult;

Result run(const std::vector<std::string>& args) { return rsdist::testing::run_rsdist(args); }

// Synthetic sequences in both formats: DIR/sequences.txt (GCL4SR), DIR/sequences_s3rec.txt.
fs::path synth_sequences(const TempDir& tmp) {
  const fs::path dir = tmp / "raw";
  const Result r = run({"synth", "seq", "--out", dir.string(), "--seq_users", "80", "--seq_items",
                        "60", "--seed", "5"});
  EXPECT_EQ(r.code, 0) << r.err;
  return dir;
}

Result preprocess(const fs::path& input, const fs::path& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"preprocess",   "seq",   "--input",
                                   input.string(), "--out", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run(args);
}

void expect_same_examples(const seq::PrefixExamples& a, const seq::PrefixExamples& b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.prefix_lengths, b.prefix_lengths);
  EXPECT_EQ(a.targets, b.targets);
}

void expect_same_corpus(const seq::SeqCorpus& a, const seq::SeqCorpus& b) {
  EXPECT_EQ(a.sequences, b.sequences);
  expect_same_examples(a.splits.train, b.splits.train);
  expect_same_examples(a.splits.valid, b.splits.valid);
  expect_same_examples(a.splits.test, b.splits.test);
  EXPECT_EQ(a.splits.all_train_sequences, b.splits.all_train_sequences);
  EXPECT_EQ(a.train_matrix, b.train_matrix);
  EXPECT_EQ(a.graph.num_nodes, b.graph.num_nodes);
  EXPECT_EQ(a.graph.row_offsets, b.graph.row_offsets);
  EXPECT_EQ(a.graph.columns, b.graph.columns);
  EXPECT_EQ(a.graph.weights, b.graph.weights);
  EXPECT_EQ(a.normalization, b.normalization);
}

TEST(PreprocessSeq, CorpusEqualsTheInMemorySplitsAndGraph) {
  TempDir tmp;
  const fs::path raw = synth_sequences(tmp);
  for (const char* normalization : {"none", "renorm"}) {
    const fs::path out = tmp / (std::string("corpus-") + normalization);
    const Result r =
        preprocess(raw / "sequences.txt", out, {"--witg_normalization", normalization});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("preprocess seq: wrote"), std::string::npos) << r.err;

    // Independently of the corpus writer: the reader, the splits and the graph builder.
    const seq::SequenceCorpus sequences = seq::read_sequences((raw / "sequences.txt").string());
    const seq::SequenceSplits splits = seq::split_sequences(sequences);
    seq::WitgOptions witg;
    witg.normalization = seq::parse_witg_normalization(normalization);
    witg.num_nodes = sequences.max_item() + 1;
    const seq::WeightedGraph graph = seq::build_witg(splits.all_train_sequences, witg);

    const seq::SeqCorpus corpus = seq::read_seq_corpus(out);
    EXPECT_EQ(corpus.sequences, sequences);
    expect_same_examples(corpus.splits.train, splits.train);
    expect_same_examples(corpus.splits.valid, splits.valid);
    expect_same_examples(corpus.splits.test, splits.test);
    EXPECT_EQ(corpus.splits.all_train_sequences, splits.all_train_sequences);
    EXPECT_EQ(corpus.graph.row_offsets, graph.row_offsets);
    EXPECT_EQ(corpus.graph.columns, graph.columns);
    EXPECT_EQ(corpus.graph.weights, graph.weights);
    EXPECT_EQ(seq::witg_normalization_name(corpus.normalization), normalization);

    // The mask: each row's distinct training items, sorted.
    ASSERT_EQ(corpus.train_matrix.num_sequences(), sequences.num_sequences());
    for (std::size_t row = 0; row < sequences.num_sequences(); ++row) {
      const auto train = splits.all_train_sequences.sequence(row);
      std::vector<std::int32_t> expected(train.begin(), train.end());
      std::sort(expected.begin(), expected.end());
      expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
      const auto mask = corpus.train_matrix.sequence(row);
      EXPECT_EQ(std::vector<std::int32_t>(mask.begin(), mask.end()), expected) << row;
    }

    const data::CorpusManifest manifest = data::read_corpus_manifest(out);
    EXPECT_EQ(manifest.kind, "seq");
    ASSERT_EQ(manifest.inputs.size(), 1u);
    EXPECT_EQ(manifest.inputs[0].size_bytes, fs::file_size(raw / "sequences.txt"));
    EXPECT_EQ(manifest.inputs[0].sha256.size(), 64u);
    EXPECT_EQ(manifest.options["witg_normalization"], normalization);
    EXPECT_EQ(manifest.counts["users"], 80);
    EXPECT_EQ(manifest.counts["graph_edges"], graph.num_edges());
    EXPECT_EQ(manifest.counts["train_examples"], static_cast<std::int64_t>(splits.train.size()));
  }
}

TEST(PreprocessSeq, S3RecInputGivesTheSameItems) {
  TempDir tmp;
  const fs::path raw = synth_sequences(tmp);
  ASSERT_EQ(preprocess(raw / "sequences.txt", tmp / "gcl").code, 0);
  const Result r = preprocess(raw / "sequences_s3rec.txt", tmp / "s3rec", {"--format", "s3rec"});
  ASSERT_EQ(r.code, 0) << r.err;
  const seq::SeqCorpus gcl = seq::read_seq_corpus(tmp / "gcl");
  const seq::SeqCorpus s3rec = seq::read_seq_corpus(tmp / "s3rec");
  EXPECT_EQ(gcl.sequences.items, s3rec.sequences.items);
  EXPECT_EQ(gcl.graph.columns, s3rec.graph.columns);
  EXPECT_EQ(s3rec.sequences.users.front(), gcl.sequences.users.front() + 1);  // S3Rec counts from 1
}

TEST(PreprocessSeq, InspectReportsUsersItemsSplitsAndGraph) {
  TempDir tmp;
  const fs::path raw = synth_sequences(tmp);
  ASSERT_EQ(preprocess(raw / "sequences.txt", tmp / "corpus").code, 0);
  const seq::SeqCorpus corpus = seq::read_seq_corpus(tmp / "corpus");
  const Result r = run({"inspect", (tmp / "corpus").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const std::string& needle :
       {std::string("kind:    seq (schema version 1)"), std::string("witg_normalization none"),
        fmt::format("users              {}", corpus.sequences.num_sequences()),
        fmt::format("items              {}", corpus.sequences.max_item()),
        fmt::format("train/valid/test   {} / 80 / 80", corpus.splits.train.size()),
        fmt::format("graph              {} nodes, {} directed edges", corpus.graph.num_nodes,
                    corpus.graph.num_edges())}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }
}

TEST(PreprocessSeq, AttributesAndSampledNegativesAreStoredAndInspected) {
  TempDir tmp;
  const fs::path raw = synth_sequences(tmp);
  const Result made = preprocess(raw / "sequences_s3rec.txt", tmp / "corpus",
                                 {"--attributes", (raw / "item2attributes.json").string(),
                                  "--negatives", "20", "--seed", "3"});
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_NE(made.err.find("0 unknown items dropped"), std::string::npos) << made.err;
  const seq::SeqCorpus corpus = seq::read_seq_corpus(tmp / "corpus");
  ASSERT_FALSE(corpus.attributes.empty());
  EXPECT_EQ(corpus.negatives_per_user, 20);
  const Result r = run({"inspect", (tmp / "corpus").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("(table of {}, ids 1..{}; 0 is padding)",
                                   corpus.attributes.num_attributes,
                                   corpus.attributes.num_attributes - 1)),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("negatives          20 per user (valid and test)"), std::string::npos)
      << r.out;
  const data::CorpusManifest manifest = data::read_corpus_manifest(tmp / "corpus");
  EXPECT_EQ(manifest.inputs.size(), 2u);  // the sequences and the attributes, with digests
  EXPECT_EQ(manifest.counts["negatives_per_user"], 20);
}

TEST(PreprocessSeq, TheDefault99NegativesAreStoredOnlyWhereEveryUserHasThatMany) {
  TempDir tmp;
  const fs::path raw = synth_sequences(tmp);  // 60 items: too few for 99
  Result r = preprocess(raw / "sequences.txt", tmp / "small");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("no sampled negatives stored: a user has only"), std::string::npos)
      << r.err;
  EXPECT_EQ(seq::read_seq_corpus(tmp / "small").negatives_per_user, 0);
  const Result big = run({"synth", "seq", "--out", (tmp / "raw400").string(), "--seq_users",
                          "30", "--seq_items", "400", "--seed", "5"});
  ASSERT_EQ(big.code, 0) << big.err;
  r = preprocess(tmp / "raw400" / "sequences.txt", tmp / "big");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(seq::read_seq_corpus(tmp / "big").negatives_per_user, 99);
}

TEST(PreprocessSeq, MalformedAttributesOrTooManyNegativesFailAndLeaveNoOutput) {
  TempDir tmp;
  const fs::path raw = synth_sequences(tmp);
  const std::string bad = tmp.write("attributes.json", "{\"1\": [1, 2],\n \"2\": [3,}");
  Result r = preprocess(raw / "sequences.txt", tmp / "corpus",
                        {"--attributes", bad, "--negatives", "5"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(bad + ": not valid JSON at byte"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "corpus"));
  r = preprocess(raw / "sequences.txt", tmp / "corpus", {"--negatives", "1000"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("to draw 1000 sampled negatives from"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "corpus"));
}

TEST(PreprocessSeq, InspectOfAnIncompleteCorpusSaysSo) {
  TempDir tmp;
  fs::create_directories(tmp / "half");
  const Result r = run({"inspect", (tmp / "half").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("is not a complete corpus: it has no manifest.json"), std::string::npos)
      << r.err;
}

TEST(PreprocessSeq, InspectOfAMindManifestPrintsItsCounts) {
  TempDir tmp;
  data::CorpusManifest m;
  m.kind = "mind";
  m.counts = {{"news", 51282}, {"train_impressions", 156965}};
  data::write_corpus_manifest(tmp.path(), m);
  const Result r = run({"inspect", tmp.path().string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("kind:    mind"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("train_impressions  156965"), std::string::npos) << r.out;
}

TEST(PreprocessSeq, AMalformedLineFailsWithFileAndLineAndLeavesNoOutput) {
  TempDir tmp;
  const std::string input = tmp.write("bad.txt", "0 1,2,3,4\n1 5,6,x,7\n");
  const Result r = preprocess(input, tmp / "corpus");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(input + ":2:"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "corpus"));
  // Not even the hidden staging directory is left behind.
  for (const auto& entry : fs::directory_iterator(tmp.path())) {
    EXPECT_EQ(entry.path().filename(), "bad.txt");
  }
}

TEST(PreprocessSeq, TooShortSequencesAndMissingInputsAreErrors) {
  TempDir tmp;
  const std::string input = tmp.write("short.txt", "0 1,2,3\n1 4,5\n");
  Result r = preprocess(input, tmp / "corpus");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("user 1 (sequence 1) has 2 item(s)"), std::string::npos) << r.err;
  r = preprocess(tmp / "absent.txt", tmp / "corpus");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("absent.txt"), std::string::npos) << r.err;
  r = run({"preprocess", "seq", "--out", (tmp / "corpus").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--input FILE is required"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "corpus"));
}

TEST(PreprocessSeq, RefusesAnExistingOutputWithoutForce) {
  TempDir tmp;
  const fs::path raw = synth_sequences(tmp);
  const fs::path out = tmp / "corpus";
  ASSERT_EQ(preprocess(raw / "sequences.txt", out).code, 0);
  Result r = preprocess(raw / "sequences.txt", out, {"--witg_normalization", "renorm"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("already exists; remove it or pass --force"), std::string::npos) << r.err;
  EXPECT_EQ(data::read_corpus_manifest(out).options["witg_normalization"], "none");
  r = preprocess(raw / "sequences.txt", out, {"--witg_normalization", "renorm", "--force"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(data::read_corpus_manifest(out).options["witg_normalization"], "renorm");
  EXPECT_EQ(seq::read_seq_corpus(out).normalization, seq::WitgNormalization::kRenorm);
}

TEST(PreprocessSeq, TwoRunsGiveIdenticalDatasetsAndFiles) {
  TempDir tmp;
  const fs::path raw = synth_sequences(tmp);
  ASSERT_EQ(preprocess(raw / "sequences.txt", tmp / "a").code, 0);
  ASSERT_EQ(preprocess(raw / "sequences.txt", tmp / "b").code, 0);
  expect_same_corpus(seq::read_seq_corpus(tmp / "a"), seq::read_seq_corpus(tmp / "b"));
  // Stronger than the datasets: no timestamps anywhere, so the files are byte-identical.
  EXPECT_EQ(read_file(tmp / "a" / "sequences.h5"), read_file(tmp / "b" / "sequences.h5"));
  EXPECT_EQ(read_file(tmp / "a" / "manifest.json"), read_file(tmp / "b" / "manifest.json"));
}

TEST(PreprocessSeq, TheCorpusReadsWithH5pyAsDocumented) {
  const std::string python = std::string(RSDIST_SOURCE_DIR) + "/.venv/bin/python";
  if (!fs::exists(python)) GTEST_SKIP() << "no " << python;
  TempDir tmp;
  const fs::path raw = synth_sequences(tmp);
  for (const char* normalization : {"none", "renorm"}) {
    const fs::path out = tmp / normalization;
    ASSERT_EQ(preprocess(raw / "sequences.txt", out, {"--witg_normalization", normalization}).code,
              0);
    const std::string command =
        python + " " + RSDIST_SOURCE_DIR + "/tests/data/hdf5/check_h5py.py " + out.string();
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
  }
}

TEST(PreprocessSeq, AmazonHomeGraphHasTheReferenceSize) {
  const fs::path home = fs::path(RSDIST_SOURCE_DIR) / "../shared/data/gcl4sr_home/home.txt";
  if (!fs::exists(home)) GTEST_SKIP() << "no " << home;
  TempDir tmp;
  const Result r = preprocess(home, tmp / "home");
  ASSERT_EQ(r.code, 0) << r.err;
  const seq::SeqCorpus corpus = seq::read_seq_corpus(tmp / "home");
  EXPECT_EQ(corpus.sequences.num_sequences(), 66519u);
  EXPECT_EQ(corpus.sequences.max_item(), 28237);
  EXPECT_EQ(corpus.graph.num_nodes, 28238);
  EXPECT_EQ(corpus.graph.num_edges(), 1617638);
  // all_train_seq as stored equals the reference's file byte for byte.
  const fs::path reference = home.parent_path() / "all_train_seq.txt";
  if (fs::exists(reference)) {
    EXPECT_TRUE(seq::format_sequences_gcl4sr(corpus.splits.all_train_sequences) ==
                read_file(reference));
  }
  const seq::SeqCorpusCounts counts = seq::read_seq_corpus_counts(tmp / "home");
  EXPECT_EQ(counts.graph_edges, 1617638);
  EXPECT_EQ(counts.valid_examples, 66519);
}

}  // namespace
}  // namespace rsdist::app
