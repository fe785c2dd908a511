// Synthetic ratings: u.data / u.item (MovieLens-100K) and ratings.dat (MovieLens-1M) parse like the
// real files, hold the same ratings, and users rate their favourite genres higher.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
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

std::vector<std::string> lines_of(const fs::path& path) {
  const std::string text = read_file(path);
  EXPECT_TRUE(!text.empty() && text.back() == '\n') << path << " must end with a newline";
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos) return out;
    start = pos + sep.size();
  }
}

struct Rating {
  std::int64_t user, item, value, timestamp;
  auto key() const { return std::tie(user, item, value, timestamp); }
  bool operator<(const Rating& o) const { return key() < o.key(); }
  bool operator==(const Rating& o) const { return key() == o.key(); }
};

std::vector<Rating> read_ratings(const fs::path& path, const std::string& sep) {
  const std::regex line_re(sep == "\t" ? "[1-9][0-9]*\t[1-9][0-9]*\t[1-5]\t[1-9][0-9]{8,9}"
                                       : "[1-9][0-9]*::[1-9][0-9]*::[1-5]::[1-9][0-9]{8,9}");
  std::vector<Rating> out;
  for (const auto& line : lines_of(path)) {
    EXPECT_TRUE(std::regex_match(line, line_re)) << line;
    const auto f = split(line, sep);
    if (f.size() != 4) continue;
    out.push_back({std::stoll(f[0]), std::stoll(f[1]), std::stoll(f[2]), std::stoll(f[3])});
  }
  return out;
}

// u.item genre flags per item (index 0 = "unknown").
std::vector<std::vector<int>> read_genres(const fs::path& path) {
  std::vector<std::vector<int>> genres;
  for (const auto& line : lines_of(path)) {
    const auto f = split(line, "|");
    if (f.size() != 24) continue;
    std::vector<int> flags;
    for (std::size_t k = 5; k < 24; ++k) flags.push_back(f[k] == "1");
    genres.push_back(flags);
  }
  return genres;
}

class RatingsSynth : public ::testing::Test {
 protected:
  void SetUp() override { summary_ = write_ratings(options_, tmp_.path()); }
  RatingsOptions options_;
  TempDir tmp_;
  RatingsSummary summary_;
};

TEST_F(RatingsSynth, UDataIsAMovieLens100kLogWithIncreasingTimestamps) {
  const auto ratings = read_ratings(tmp_ / "u.data", "\t");
  ASSERT_EQ(static_cast<std::int64_t>(ratings.size()), summary_.ratings);
  std::map<std::int64_t, std::int64_t> per_user, last_time;
  std::set<std::int64_t> items;
  std::set<std::pair<std::int64_t, std::int64_t>> pairs;
  for (const auto& r : ratings) {
    EXPECT_LE(r.user, options_.users);
    EXPECT_LE(r.item, options_.items);
    ++per_user[r.user];
    items.insert(r.item);
    EXPECT_TRUE(pairs.emplace(r.user, r.item).second)
        << "user " << r.user << " rated " << r.item << " twice";
    EXPECT_GT(r.timestamp, last_time[r.user]) << "user " << r.user << "'s timestamps must increase";
    last_time[r.user] = r.timestamp;
  }
  EXPECT_EQ(static_cast<std::int64_t>(per_user.size()), options_.users);
  EXPECT_EQ(static_cast<std::int64_t>(items.size()), options_.items) << "every item is rated";
  for (const auto& [user, n] : per_user) {
    EXPECT_GE(n, options_.min_ratings_per_user) << user;
    EXPECT_LE(n, options_.max_ratings_per_user) << user;
  }
}

TEST_F(RatingsSynth, RatingsDatHoldsTheSameRatingsGroupedByUser) {
  auto ml100k = read_ratings(tmp_ / "u.data", "\t");
  auto ml1m = read_ratings(tmp_ / "ratings.dat", "::");
  EXPECT_TRUE(std::is_sorted(ml1m.begin(), ml1m.end(),
                             [](const Rating& a, const Rating& b) { return a.user < b.user; }));
  std::sort(ml100k.begin(), ml100k.end());
  std::sort(ml1m.begin(), ml1m.end());
  EXPECT_TRUE(ml100k == ml1m);
}

TEST_F(RatingsSynth, UItemRowsHaveMovieLensColumns) {
  const std::regex title_re("(.+) \\(((19|20)[0-9]{2})\\)");
  const std::regex date_re(
      "(0[1-9]|[12][0-9]|3[01])-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-([0-9]{4})");
  const auto lines = lines_of(tmp_ / "u.item");
  ASSERT_EQ(static_cast<std::int64_t>(lines.size()), options_.items);
  std::set<std::size_t> genre_columns;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto f = split(lines[i], "|");
    ASSERT_EQ(f.size(), 24u) << lines[i];
    EXPECT_EQ(f[0], std::to_string(i + 1));
    std::smatch title, date;
    ASSERT_TRUE(std::regex_match(f[1], title, title_re)) << f[1];
    ASSERT_TRUE(std::regex_match(f[2], date, date_re)) << f[2];
    EXPECT_EQ(title[2], date[3]) << "release year matches the title";
    EXPECT_TRUE(f[3].empty()) << "video release date is empty, as in ML-100K";
    std::string url = "http://us.imdb.com/M/title-exact?";
    for (char c : f[1]) url += c == ' ' ? std::string("%20") : std::string(1, c);
    EXPECT_EQ(f[4], url);
    EXPECT_EQ(f[5], "0") << "no movie of unknown genre";
    int genres = 0;
    for (std::size_t k = 5; k < 24; ++k) {
      EXPECT_TRUE(f[k] == "0" || f[k] == "1") << f[k];
      if (f[k] == "1") ++genres, genre_columns.insert(k);
    }
    EXPECT_GE(genres, 1);
    EXPECT_LE(genres, 3);
  }
  EXPECT_EQ(static_cast<std::int64_t>(genre_columns.size()), options_.genres);
}

TEST_F(RatingsSynth, UsersRateTheirTopGenresHigher) {
  const auto genres = read_genres(tmp_ / "u.item");
  const auto ratings = read_ratings(tmp_ / "u.data", "\t");
  // A user's top genre: the one most of their ratings fall in (from the files, not the generator).
  std::map<std::int64_t, std::vector<int>> counts;
  for (const auto& r : ratings) {
    auto& c = counts[r.user];
    c.resize(19);
    for (int g = 0; g < 19; ++g) c[g] += genres[r.item - 1][g];
  }
  double top_sum = 0, top_n = 0, rest_sum = 0, rest_n = 0;
  for (const auto& r : ratings) {
    const auto& c = counts[r.user];
    const auto top = std::max_element(c.begin(), c.end()) - c.begin();
    if (genres[r.item - 1][top]) {
      top_sum += r.value, top_n += 1;
    } else {
      rest_sum += r.value, rest_n += 1;
    }
  }
  ASSERT_GT(top_n, 100);
  ASSERT_GT(rest_n, 100);
  EXPECT_GT(top_sum / top_n, rest_sum / rest_n + 0.3)
      << top_sum / top_n << " vs " << rest_sum / rest_n;
}

TEST(RatingsSynthDeterminism, SameOptionsGiveIdenticalBytesOtherSeedsDiffer) {
  TempDir tmp;
  RatingsOptions o;
  o.users = 50;
  o.items = 60;
  for (const char* name : {"a", "b", "c"}) fs::create_directories(tmp / name);
  write_ratings(o, tmp / "a");
  write_ratings(o, tmp / "b");
  o.seed = 99;
  write_ratings(o, tmp / "c");
  for (const char* file : {"u.data", "u.item", "ratings.dat"}) {
    const auto a = read_file(tmp / "a" / file);
    EXPECT_FALSE(a.empty()) << file;
    EXPECT_EQ(a, read_file(tmp / "b" / file)) << file;
    EXPECT_NE(a, read_file(tmp / "c" / file)) << file;
  }
}

TEST(RatingsSynthValidation, InvalidOptionsThrowNamingTheOption) {
  const rsdist::testing::OptionErrorCase<RatingsOptions> cases[] = {
      {[](RatingsOptions& o) { o.users = 0; }, "--rating_users must be >= 1"},
      {[](RatingsOptions& o) { o.items = 1; }, "--rating_items must be >= 2"},
      {[](RatingsOptions& o) { o.genres = 0; }, "--genres must be >= 1"},
      {[](RatingsOptions& o) { o.genres = 19; }, "--genres must be <= 18"},
      {[](RatingsOptions& o) { o.min_ratings_per_user = 0; }, "--min_ratings must be >= 1"},
      {[](RatingsOptions& o) { o.min_ratings_per_user = 500; }, "--min_ratings must be <= 400"},
      {[](RatingsOptions& o) { o.max_ratings_per_user = 10; }, "--max_ratings must be >= 20"},
      {[](RatingsOptions& o) { o.users = 2; },
       "--rating_items (400) must be <= --rating_users x --max_ratings"},
  };
  rsdist::testing::expect_option_errors(
      cases, [](const RatingsOptions& o, const fs::path& dir) { write_ratings(o, dir); });
}

}  // namespace
}  // namespace rsdist::synth
