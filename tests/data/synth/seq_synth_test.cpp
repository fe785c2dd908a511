// Synthetic sequences: GCL4SR and S3Rec formats read like the published files, every item appears,
// and the planted Markov structure is visible from the files alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/synth/option_errors.hpp"
#include "data/synth/synth.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::synth {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

using Sequences = std::vector<std::vector<std::int64_t>>;

std::vector<std::string> lines_of(const fs::path& path) {
  const std::string text = read_file(path);
  EXPECT_TRUE(!text.empty() && text.back() == '\n') << path << " must end with a newline";
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::int64_t> numbers(std::string s) {
  std::replace(s.begin(), s.end(), ',', ' ');
  std::istringstream in(s);
  std::vector<std::int64_t> out;
  for (std::int64_t v; in >> v;) out.push_back(v);
  return out;
}

// Parses sequences.txt ("0 1,2,3") and checks its format; sequences indexed by user.
Sequences read_gcl4sr(const fs::path& path) {
  const std::regex line_re("(0|[1-9][0-9]*) [1-9][0-9]*(,[1-9][0-9]*)*");
  Sequences out;
  for (const auto& line : lines_of(path)) {
    EXPECT_TRUE(std::regex_match(line, line_re)) << line;
    auto v = numbers(line);
    EXPECT_EQ(v.front(), static_cast<std::int64_t>(out.size())) << "users are 0..U-1 in order";
    out.emplace_back(v.begin() + 1, v.end());
  }
  return out;
}

// Parses sequences_s3rec.txt ("1 1 2 3").
Sequences read_s3rec(const fs::path& path) {
  const std::regex line_re("[1-9][0-9]*( [1-9][0-9]*)+");
  Sequences out;
  for (const auto& line : lines_of(path)) {
    EXPECT_TRUE(std::regex_match(line, line_re)) << line;
    auto v = numbers(line);
    EXPECT_EQ(v.front(), static_cast<std::int64_t>(out.size() + 1)) << "users are 1..U in order";
    out.emplace_back(v.begin() + 1, v.end());
  }
  return out;
}

class SeqSynth : public ::testing::Test {
 protected:
  void SetUp() override { summary_ = write_seq(options_, tmp_.path()); }
  SeqOptions options_;
  TempDir tmp_;
  SeqSummary summary_;
};

TEST_F(SeqSynth, BothFormatsHoldTheSameSequencesWithinTheLengthBounds) {
  const auto gcl = read_gcl4sr(tmp_ / "sequences.txt");
  const auto s3rec = read_s3rec(tmp_ / "sequences_s3rec.txt");
  ASSERT_EQ(static_cast<std::int64_t>(gcl.size()), options_.users);
  EXPECT_EQ(gcl, s3rec);
  std::int64_t interactions = 0;
  for (const auto& s : gcl) {
    EXPECT_GE(static_cast<std::int64_t>(s.size()), options_.min_length);
    EXPECT_LE(static_cast<std::int64_t>(s.size()), options_.max_length);
    interactions += static_cast<std::int64_t>(s.size());
  }
  EXPECT_EQ(summary_.users, options_.users);
  EXPECT_EQ(summary_.items, options_.items);
  EXPECT_EQ(summary_.interactions, interactions);
}

TEST_F(SeqSynth, ItemsAreOneToNNumberedByFirstAppearance) {
  std::int64_t highest = 0;
  for (const auto& s : read_gcl4sr(tmp_ / "sequences.txt")) {
    for (auto item : s) {
      // A new item is always the next number, so items 1..N all appear, in order.
      ASSERT_LE(item, highest + 1);
      highest = std::max(highest, item);
    }
  }
  EXPECT_EQ(highest, options_.items);
}

TEST_F(SeqSynth, ItemAttributesLikeBeautyItem2Attributes) {
  const std::string raw = read_file(tmp_ / "item2attributes.json");
  ASSERT_FALSE(raw.empty());
  EXPECT_EQ(raw.find('\n'), std::string::npos) << "one line, no trailing newline";
  EXPECT_EQ(raw.rfind("{\"1\": [", 0), 0u) << raw.substr(0, 40);
  const auto json = nlohmann::ordered_json::parse(raw);
  ASSERT_TRUE(json.is_object());
  ASSERT_EQ(static_cast<std::int64_t>(json.size()), options_.items);
  std::int64_t expected_key = 1, highest = 0;
  std::set<std::int64_t> used;
  for (const auto& [key, value] : json.items()) {
    EXPECT_EQ(key, std::to_string(expected_key++));
    ASSERT_TRUE(value.is_array());
    const auto attrs = value.get<std::vector<std::int64_t>>();
    EXPECT_GE(attrs.size(), 1u);
    EXPECT_LE(attrs.size(), 6u);
    EXPECT_EQ(std::set<std::int64_t>(attrs.begin(), attrs.end()).size(), attrs.size()) << key;
    for (auto a : attrs) {
      EXPECT_GE(a, 1);
      EXPECT_LE(a, options_.attributes);
      highest = std::max(highest, a);
      used.insert(a);
    }
  }
  EXPECT_EQ(static_cast<std::int64_t>(used.size()), highest) << "attribute ids 1..A without gaps";
}

// Hit rate at 10 on the held-out last item of every sequence, for a predictor given the prefix.
template <class Predict>
double hit_rate(const Sequences& seqs, Predict predict) {
  double hits = 0;
  for (const auto& s : seqs) {
    const auto top = predict(s[s.size() - 2]);
    hits += std::find(top.begin(), top.end(), s.back()) != top.end();
  }
  return hits / static_cast<double>(seqs.size());
}

TEST_F(SeqSynth, SuccessorCountsBeatPopularityWhichBeatsChance) {
  const auto seqs = read_gcl4sr(tmp_ / "sequences.txt");
  // Counted on the training prefixes only (everything but the last item).
  std::map<std::int64_t, std::int64_t> popularity;
  std::map<std::int64_t, std::map<std::int64_t, std::int64_t>> successors;
  for (const auto& s : seqs) {
    for (std::size_t k = 0; k + 1 < s.size(); ++k) {
      ++popularity[s[k]];
      if (k + 2 < s.size()) ++successors[s[k]][s[k + 1]];
    }
  }
  auto top10 = [](const std::map<std::int64_t, std::int64_t>& counts) {
    std::vector<std::pair<std::int64_t, std::int64_t>> v;  // (-count, item): ties by item id
    for (const auto& [item, n] : counts) v.emplace_back(-n, item);
    std::sort(v.begin(), v.end());
    std::vector<std::int64_t> out;
    for (std::size_t k = 0; k < v.size() && k < 10; ++k) out.push_back(v[k].second);
    return out;
  };
  const auto popular = top10(popularity);
  const double pop_hr = hit_rate(seqs, [&](std::int64_t) { return popular; });
  const double succ_hr = hit_rate(seqs, [&](std::int64_t last) {
    auto top = top10(successors[last]);
    for (auto p : popular) {  // fill up with popular items
      if (top.size() < 10 && std::find(top.begin(), top.end(), p) == top.end()) top.push_back(p);
    }
    return top;
  });
  const double random_hr = 10.0 / static_cast<double>(options_.items);
  EXPECT_GT(succ_hr, pop_hr + 0.2) << succ_hr << " vs " << pop_hr;
  EXPECT_GT(pop_hr, 2.0 * random_hr) << pop_hr << " vs " << random_hr;
}

std::map<std::string, std::string> all_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir))
    files[entry.path().filename().string()] = read_file(entry.path());
  return files;
}

TEST(SeqSynthDeterminism, SameOptionsGiveIdenticalBytesOtherSeedsDiffer) {
  TempDir tmp;
  SeqOptions o;
  o.users = 200;
  o.items = 100;
  for (const char* name : {"a", "b", "c"}) fs::create_directories(tmp / name);
  write_seq(o, tmp / "a");
  write_seq(o, tmp / "b");
  o.seed = 2;
  write_seq(o, tmp / "c");
  const auto a = all_files(tmp / "a"), b = all_files(tmp / "b"), c = all_files(tmp / "c");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_TRUE(a == b);
  for (const auto& [name, bytes] : a) EXPECT_NE(bytes, c.at(name)) << name;
}

TEST(SeqSynthCoverage, EveryItemAppearsEvenWhenSequencesAreFull) {
  // users x max_length == items: every slot is needed, so coverage must replace duplicates.
  TempDir tmp;
  SeqOptions o;
  o.users = 12;
  o.items = 60;
  o.clusters = 3;
  o.min_length = 5;
  o.max_length = 5;
  write_seq(o, tmp.path());
  std::set<std::int64_t> items;
  for (const auto& s : read_gcl4sr(tmp / "sequences.txt")) {
    EXPECT_EQ(s.size(), 5u);
    items.insert(s.begin(), s.end());
  }
  EXPECT_EQ(items.size(), 60u);
  EXPECT_EQ(*items.rbegin(), 60);
}

TEST(SeqSynthValidation, InvalidOptionsThrowNamingTheOption) {
  const rsdist::testing::OptionErrorCase<SeqOptions> cases[] = {
      {[](SeqOptions& o) { o.users = 0; }, "--seq_users must be >= 1"},
      {[](SeqOptions& o) { o.items = 1; }, "--seq_items must be >= 2"},
      {[](SeqOptions& o) { o.clusters = 0; }, "--clusters must be >= 1"},
      {[](SeqOptions& o) { o.clusters = 501; }, "--clusters must be <= 500"},
      {[](SeqOptions& o) { o.min_length = 2; }, "--min_length must be >= 3"},
      {[](SeqOptions& o) { o.max_length = 4; }, "--max_length must be >= 5"},
      {[](SeqOptions& o) { o.attributes = 0; }, "--attributes must be >= 1"},
      {[](SeqOptions& o) {
         o.users = 10;
         o.max_length = 10;
       },
       "--seq_items (500) must be <= --seq_users x --max_length"},
  };
  rsdist::testing::expect_option_errors(
      cases, [](const SeqOptions& o, const fs::path& dir) { write_seq(o, dir); });
}

}  // namespace
}  // namespace rsdist::synth
