// `rsdist preprocess ratings` and `rsdist inspect` end to end through the CLI: the MovieLens
// formats written by `rsdist synth ratings`, the corpus read back equal to the in-memory build,
// atomic output on malformed rows and bad options, byte-identical reruns, h5py readability, and the
// real MovieLens-100K file where it is present.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <tuple>

#include "app/cli_runner.hpp"
#include "data/corpus_manifest.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "support/python_runner.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::app {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;
using Result = rsdist::testing::CliResult;

Result run(const std::vector<std::string>& args) { return rsdist::testing::run_rsdist(args); }

// DIR/u.data and DIR/ratings.dat with the same synthetic ratings.
fs::path synth_ratings(const TempDir& tmp) {
  const fs::path dir = tmp / "raw";
  const Result r = run({"synth", "ratings", "--out", dir.string(), "--rating_users", "60",
                        "--rating_items", "120", "--seed", "3"});
  EXPECT_EQ(r.code, 0) << r.err;
  return dir;
}

Result preprocess(const fs::path& input, const fs::path& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"preprocess",   "ratings", "--input",
                                   input.string(), "--out",   out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run(args);
}

// Only the named entries are left in `dir` (no staging directory).
void expect_only(const fs::path& dir, const std::vector<std::string>& names) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_NE(std::find(names.begin(), names.end(), entry.path().filename().string()), names.end())
        << entry.path();
  }
}

// The corpus in input ids: (part, user id) -> its (item id, rating, timestamp) in row order. Equal
// across inputs that hold the same rows in another order (ratings.dat is sorted by user).
std::map<std::pair<std::string, std::string>,
         std::vector<std::tuple<std::string, float, std::int64_t>>>
by_input_ids(const ratings::RatingsCorpus& corpus) {
  std::map<std::pair<std::string, std::string>,
           std::vector<std::tuple<std::string, float, std::int64_t>>>
      rows;
  for (const auto& [name, part] : corpus.parts) {
    for (std::int64_t u = 0; u < part.num_users(); ++u) {
      auto& row = rows[{name, corpus.user_ids[static_cast<std::size_t>(u)]}];
      for (std::int64_t e = part.offsets[static_cast<std::size_t>(u)];
           e < part.offsets[static_cast<std::size_t>(u) + 1]; ++e) {
        const auto i = static_cast<std::size_t>(e);
        row.emplace_back(corpus.item_ids[static_cast<std::size_t>(part.items[i])], part.ratings[i],
                         part.timestamps[i]);
      }
    }
  }
  return rows;
}

TEST(PreprocessRatings, EveryFormatGivesTheCorpusOfTheInMemoryBuild) {
  TempDir tmp;
  const fs::path raw = synth_ratings(tmp);
  // ratings.csv as ML-20M ships it, from the same rows.
  std::string csv = "userId,movieId,rating,timestamp\n";
  std::string line;
  std::istringstream data(read_file(raw / "u.data"));
  while (std::getline(data, line)) {
    for (char& c : line) c = c == '\t' ? ',' : c;
    csv += line + "\n";
  }
  const fs::path csv_path = tmp.write("ratings.csv", csv);
  std::vector<ratings::RatingsCorpus> corpora;
  for (const fs::path& input : {raw / "u.data", raw / "ratings.dat", csv_path}) {
    const fs::path out = tmp / ("corpus-" + input.filename().string());
    const Result r = preprocess(input, out, {"--negatives", "30", "--seed", "7"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("preprocess ratings: wrote"), std::string::npos) << r.err;
    ratings::RatingsCorpusOptions o;
    o.input.path = input.string();
    o.negatives = 30;
    o.split.seed = 7;
    corpora.push_back(ratings::read_ratings_corpus(out));
    EXPECT_EQ(corpora.back(), ratings::build_ratings_corpus(o)) << input;
    const data::CorpusManifest m = data::read_corpus_manifest(out);
    EXPECT_EQ(m.kind, "ratings");
    EXPECT_EQ(m.inputs.at(0).size_bytes, fs::file_size(input));
    EXPECT_EQ(m.options["split"], "loo");
    EXPECT_EQ(m.options["negatives"], 30);
    EXPECT_EQ(m.counts["users"], 60);
  }
  EXPECT_EQ(corpora[0], corpora[2]);  // the same rows in the same order
  // ratings.dat holds the rows sorted by user, so dense ids differ; the interactions do not (loo
  // has no randomness; the candidates follow the dense ids and are not compared).
  EXPECT_EQ(by_input_ids(corpora[0]), by_input_ids(corpora[1]));
}

TEST(PreprocessRatings, InspectReportsUsersItemsDensityAndSplitSizes) {
  TempDir tmp;
  const fs::path raw = synth_ratings(tmp);
  ASSERT_EQ(
      preprocess(raw / "u.data", tmp / "c", {"--split", "ratio", "--ratio", "0.7,0.2,0.1"}).code,
      0);
  const ratings::RatingsCorpus corpus = ratings::read_ratings_corpus(tmp / "c");
  const Result r = run({"inspect", (tmp / "c").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  std::int64_t total = 0;
  for (const auto& [name, part] : corpus.parts) total += part.num_interactions();
  for (const std::string& needle :
       {std::string("kind:    ratings (schema version 1)"),
        fmt::format("users              {}", corpus.num_users()),
        fmt::format("items              {}", corpus.num_items()),
        fmt::format("interactions       {} (explicit ratings)", total),
        fmt::format("density            {:.6f}",
                    static_cast<double>(total) / (60.0 * static_cast<double>(corpus.num_items()))),
        fmt::format("valid              {}", corpus.parts.at("valid").num_interactions()),
        std::string("split              ratio")}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }
}

TEST(PreprocessRatings, AMalformedRowFailsWithFileAndLineAndWritesNothing) {
  TempDir tmp;
  const std::string input = tmp.write("u.data", "1\t2\t3\t10\n1\t3\t4\t11\n2\t2\tfour\t12\n");
  const Result r = preprocess(input, tmp / "corpus");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(input + ":3: rating 'four' is not a number"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "corpus"));
  expect_only(tmp.path(), {"u.data"});
}

TEST(PreprocessRatings, BadOptionCombinationsAreNamedAndWriteNothing) {
  TempDir tmp;
  const fs::path raw = synth_ratings(tmp);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--split", "ratio", "--negatives", "5"}, "--negatives applies to --split loo only"},
      {{"--split", "heldout_users"}, "--split heldout_users needs --heldout_users N"},
      {{"--heldout_users", "5"}, "--heldout_users applies to --split heldout_users only"},
      {{"--ratio", "0.8,0.1,0.1"}, "--ratio applies to --split ratio only"},
      {{"--split", "ratio", "--ratio", "0.5,0.1"}, "--ratio '0.5,0.1'"},
      {{"--format", "ml1m", "--delimiter", ","}, "--delimiter applies to --format csv or auto"},
      {{"--format", "s3rec"}, "--format 's3rec' is not a ratings format"},
      {{"--negatives", "110"}, "--negatives 110 candidates"},
      {{"--split", "heldout_users", "--heldout_users", "30"}, "--heldout_users 30"}};
  for (const auto& [extra, expected] : cases) {
    const Result r = preprocess(raw / "u.data", tmp / "corpus", extra);
    EXPECT_EQ(r.code, 1) << expected;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(tmp / "corpus"));
  }
  expect_only(tmp.path(), {"raw"});
  const Result r = run({"preprocess", "seq", "--input", (raw / "u.data").string(), "--out",
                        (tmp / "corpus").string(), "--format", "ml100k"});
  EXPECT_NE(r.err.find("--format ml100k is a ratings format"), std::string::npos) << r.err;
}

TEST(PreprocessRatings, TwoRunsGiveIdenticalFilesAndForceReplaces) {
  TempDir tmp;
  const fs::path raw = synth_ratings(tmp);
  for (const char* split : {"loo", "ratio", "heldout_users"}) {
    std::vector<std::string> extra = {"--split", split, "--seed", "5"};
    if (std::string(split) == "loo") extra.insert(extra.end(), {"--negatives", "20"});
    if (std::string(split) == "heldout_users") extra.insert(extra.end(), {"--heldout_users", "8"});
    ASSERT_EQ(preprocess(raw / "u.data", tmp / "a", extra).code, 0);
    ASSERT_EQ(preprocess(raw / "u.data", tmp / "b", extra).code, 0);
    EXPECT_EQ(read_file(tmp / "a" / "ratings.h5"), read_file(tmp / "b" / "ratings.h5")) << split;
    EXPECT_EQ(read_file(tmp / "a" / "manifest.json"), read_file(tmp / "b" / "manifest.json"));
    const Result again = preprocess(raw / "u.data", tmp / "a", extra);
    EXPECT_NE(again.err.find("already exists; remove it or pass --force"), std::string::npos);
    fs::remove_all(tmp / "a");
    fs::remove_all(tmp / "b");
  }
  ASSERT_EQ(preprocess(raw / "u.data", tmp / "a", {"--negatives", "0"}).code, 0);
  ASSERT_EQ(preprocess(raw / "u.data", tmp / "a", {"--split", "ratio", "--force"}).code, 0);
  EXPECT_EQ(ratings::read_ratings_corpus(tmp / "a").split, "ratio");
}

TEST(PreprocessRatings, TheCorpusReadsWithH5pyAsDocumented) {
  TempDir tmp;
  const fs::path raw = synth_ratings(tmp);
  const std::vector<std::vector<std::string>> variants = {
      {"--negatives", "20"},
      {"--split", "ratio", "--implicit_threshold", "4"},
      {"--split", "heldout_users", "--heldout_users", "6", "--min_item_interactions", "3"}};
  for (std::size_t k = 0; k < variants.size(); ++k) {
    const fs::path out = tmp / ("c" + std::to_string(k));
    ASSERT_EQ(preprocess(raw / "u.data", out, variants[k]).code, 0);
    EXPECT_EQ(
        rsdist::testing::run_python_script("tests/app/check_ratings_corpus.py", {out.string()}), 0)
        << k;
  }
}

TEST(PreprocessRatings, MovieLens100KHasTheKnownCounts) {
  const fs::path data = fs::path(RSDIST_SOURCE_DIR) / "../shared/data/movielens/ml-100k/u.data";
  if (!fs::exists(data)) GTEST_SKIP() << "MovieLens-100K is not at " << data << "; skipping";
  TempDir tmp;
  ASSERT_EQ(preprocess(data, tmp / "loo", {"--split", "loo", "--negatives", "99"}).code, 0);
  const ratings::RatingsCorpus loo = ratings::read_ratings_corpus(tmp / "loo");
  EXPECT_EQ(loo.num_users(), 943);
  EXPECT_EQ(loo.num_items(), 1682);
  EXPECT_EQ(loo.parts.at("test").num_interactions(), 943);  // every user has >= 20 ratings
  EXPECT_EQ(loo.parts.at("valid").num_interactions(), 943);
  EXPECT_EQ(loo.parts.at("train").num_interactions(), 100000 - 2 * 943);
  EXPECT_EQ(loo.test_negatives.size(), 943u * 99u);
  EXPECT_EQ(data::read_corpus_manifest(tmp / "loo").counts["duplicates"], 0);
  // 55,375 of ML-100K's ratings are 4 or 5 (its README's distribution).
  ASSERT_EQ(preprocess(data, tmp / "implicit", {"--implicit_threshold", "4"}).code, 0);
  const data::CorpusManifest m = data::read_corpus_manifest(tmp / "implicit");
  EXPECT_EQ(m.counts["interactions"], 55375);
  EXPECT_EQ(m.counts["below_threshold"], 44625);
  EXPECT_TRUE(ratings::read_ratings_corpus(tmp / "implicit").implicit);
  EXPECT_EQ(rsdist::testing::run_python_script("tests/app/check_ratings_corpus.py",
                                               {(tmp / "loo").string()}),
            0);
}

}  // namespace
}  // namespace rsdist::app
