// Synthetic MIND: the files must read exactly like the real MIND-small ones (checked row by row)
// and carry the planted structure, measured from the files alone, the way a user of the data would.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
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

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos) return out;
    start = pos + 1;
  }
}

std::vector<std::string> lines_of(const fs::path& path) {
  const std::string text = read_file(path);
  EXPECT_TRUE(text.empty() || text.back() == '\n') << path << " must end with a newline";
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> words_of(const std::string& s) {
  std::vector<std::string> out;
  for (auto& w : split(s, ' ')) {
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated
    for (int k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// The code points [offset, offset + length) of UTF-8 text, as Python's text[offset:offset+length].
std::string code_point_slice(const std::string& s, std::size_t offset, std::size_t length) {
  std::vector<std::size_t> starts;  // byte index of every code point
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  starts.push_back(s.size());
  if (offset + length >= starts.size()) return {};
  return s.substr(starts[offset], starts[offset + length] - starts[offset]);
}

std::size_t code_points(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

struct Impression {
  std::string user;
  std::vector<std::string> history;
  std::vector<std::string> news;
  std::vector<int> labels;  // empty for test
};

struct Split {
  std::map<std::string, std::vector<std::string>> news;  // id -> 8 columns
  std::vector<Impression> impressions;
};

Split parse_split(const fs::path& dir) {
  Split s;
  for (const auto& line : lines_of(dir / "news.tsv")) {
    auto f = split(line, '\t');
    if (f.size() == 8) s.news[f[0]] = f;
  }
  for (const auto& line : lines_of(dir / "behaviors.tsv")) {
    const auto f = split(line, '\t');
    if (f.size() != 5) continue;
    Impression imp{f[1], words_of(f[3]), {}, {}};
    for (const auto& c : words_of(f[4])) {
      const auto dash = c.find('-');
      imp.news.push_back(c.substr(0, dash));
      if (dash != std::string::npos) imp.labels.push_back(c.substr(dash + 1) == "1" ? 1 : 0);
    }
    s.impressions.push_back(std::move(imp));
  }
  return s;
}

// AUC of one impression (ties count half), as MIND's evaluation computes it per impression.
double auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    for (std::size_t j = 0; j < scores.size(); ++j) {
      if (labels[i] != 1 || labels[j] != 0) continue;
      pairs += 1;
      wins += scores[i] > scores[j] ? 1.0 : (scores[i] == scores[j] ? 0.5 : 0.0);
    }
  }
  return pairs > 0 ? wins / pairs : 0.5;
}

const char* const kSplits[] = {"train", "dev", "test"};

// One default-sized data set shared by the read-only tests below (generated once: ~0.1 s).
class MindSynth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("rsdist-MindSynth-shared-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    summary_ = write_mind(options_, dir_);
    for (int s = 0; s < 3; ++s) splits_[s] = parse_split(dir_ / kSplits[s]);
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static inline MindOptions options_;
  static inline fs::path dir_;
  static inline MindSummary summary_;
  static inline Split splits_[3];
};

TEST_F(MindSynth, NewsRowsHaveMindsColumnsAndEntityJson) {
  const std::regex id_re("N[1-9][0-9]*");
  const std::regex url_re("https://assets\\.msn\\.com/labs/mind/AA[A-Za-z0-9]{5}\\.html");
  const std::regex qid_re("Q[1-9][0-9]*");
  const std::regex confidence_re("1\\.0|0\\.[0-9]{0,2}[1-9]");
  std::set<std::string> categories;
  int rows = 0, empty_abstracts = 0, non_ascii = 0, with_entities = 0, without_entities = 0;
  for (const char* split_name : kSplits) {
    std::set<std::string> ids;
    for (const auto& line : lines_of(dir_ / split_name / "news.tsv")) {
      const auto f = split(line, '\t');
      ASSERT_EQ(f.size(), 8u) << line;
      ++rows;
      EXPECT_TRUE(std::regex_match(f[0], id_re)) << f[0];
      EXPECT_TRUE(ids.insert(f[0]).second) << "duplicate row " << f[0];
      categories.insert(f[1]);
      EXPECT_EQ(f[2].rfind(f[1], 0), 0u) << "subcategory " << f[2] << " of " << f[1];
      const auto title_words = words_of(f[3]);
      const auto tag = std::count(title_words.begin(), title_words.end(), "|");
      EXPECT_GE(title_words.size() - tag, 5u) << f[3];
      EXPECT_LE(title_words.size() - tag, 15u) << f[3];
      EXPECT_LE(words_of(f[4]).size(), 40u) << f[4];
      empty_abstracts += f[4].empty();
      non_ascii += std::any_of(line.begin(), line.end(), [](char c) { return c & 0x80; });
      EXPECT_TRUE(std::regex_match(f[5], url_re)) << f[5];

      for (int col : {6, 7}) {
        const std::string& text = f[col == 6 ? 3 : 4];
        const std::string& raw = f[col];
        // Python's json.dumps: ASCII only (\u escapes), ", " and ": " separators.
        EXPECT_TRUE(std::all_of(raw.begin(), raw.end(), [](char c) { return !(c & 0x80); })) << raw;
        EXPECT_TRUE(raw == "[]" || raw.rfind("[{\"Label\": \"", 0) == 0) << raw;
        const auto json = nlohmann::ordered_json::parse(raw);
        ASSERT_TRUE(json.is_array());
        (json.empty() ? without_entities : with_entities) += 1;
        for (const auto& e : json) {
          std::vector<std::string> keys;
          for (const auto& item : e.items()) keys.push_back(item.key());
          EXPECT_EQ(keys, (std::vector<std::string>{"Label", "Type", "WikidataId", "Confidence",
                                                    "OccurrenceOffsets", "SurfaceForms"}));
          EXPECT_TRUE(std::regex_match(e["Type"].get<std::string>(), std::regex("[A-Z]")));
          EXPECT_TRUE(std::regex_match(e["WikidataId"].get<std::string>(), qid_re));
          EXPECT_TRUE(e["Confidence"].is_number_float());
          const auto offsets = e["OccurrenceOffsets"].get<std::vector<std::size_t>>();
          const auto surfaces = e["SurfaceForms"].get<std::vector<std::string>>();
          ASSERT_EQ(offsets.size(), surfaces.size());
          EXPECT_FALSE(offsets.empty());
          for (std::size_t k = 0; k < offsets.size(); ++k) {
            EXPECT_EQ(code_point_slice(text, offsets[k], code_points(surfaces[k])), surfaces[k])
                << "offset " << offsets[k] << " in: " << text;
          }
        }
      }
      // The raw Confidence as MIND prints it ("1.0", "0.987"): find every value in the raw text.
      static const std::regex conf_field("\"Confidence\": ([^,]+),");
      for (int col : {6, 7}) {
        for (std::sregex_iterator it(f[col].begin(), f[col].end(), conf_field), end; it != end;
             ++it) {
          EXPECT_TRUE(std::regex_match((*it)[1].str(), confidence_re)) << (*it)[1];
        }
      }
    }
  }
  EXPECT_EQ(categories.size(), static_cast<std::size_t>(options_.topics));
  EXPECT_GT(empty_abstracts, 0) << "MIND has empty abstracts";
  EXPECT_GT(non_ascii, 0) << "some text must be non-ASCII";
  EXPECT_LT(non_ascii, rows);
  EXPECT_GT(with_entities, 0);
  EXPECT_GT(without_entities, 0);
}

TEST_F(MindSynth, EachSplitHoldsTheNewsItsBehaviorsMentionWithTheSameRows) {
  std::map<std::string, std::vector<std::string>> seen;
  for (const auto& s : splits_) {
    std::set<std::string> mentioned;
    for (const auto& imp : s.impressions) {
      mentioned.insert(imp.history.begin(), imp.history.end());
      mentioned.insert(imp.news.begin(), imp.news.end());
    }
    std::set<std::string> held;
    for (const auto& [id, row] : s.news) held.insert(id);
    EXPECT_EQ(held, mentioned);
    for (const auto& [id, row] : s.news) {
      const auto [it, fresh] = seen.emplace(id, row);
      if (!fresh) {
        EXPECT_EQ(it->second, row) << id;
      }
    }
  }
  EXPECT_EQ(static_cast<std::int64_t>(seen.size()), summary_.news);
}

TEST_F(MindSynth, BehaviorsHaveMindsColumnsTimesAndLabels) {
  const std::regex user_re("U[1-9][0-9]*");
  const std::regex history_re("(N[1-9][0-9]*( N[1-9][0-9]*)*)?");
  const std::regex labelled_re("N[1-9][0-9]*-[01]( N[1-9][0-9]*-[01])*");
  const std::regex unlabelled_re("N[1-9][0-9]*( N[1-9][0-9]*)*");
  const std::regex time_re("11/([0-9]{1,2})/2019 (1[0-2]|[1-9]):[0-5][0-9]:[0-5][0-9] (AM|PM)");
  const std::pair<int, int> days[] = {{9, 13}, {14, 14}, {15, 15}};
  const std::int64_t counts[] = {options_.train_impressions, options_.dev_impressions,
                                 options_.test_impressions};
  std::set<std::string> users;
  for (int s = 0; s < 3; ++s) {
    const auto lines = lines_of(dir_ / kSplits[s] / "behaviors.tsv");
    ASSERT_EQ(static_cast<std::int64_t>(lines.size()), counts[s]);
    int empty_histories = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto f = split(lines[i], '\t');
      ASSERT_EQ(f.size(), 5u) << lines[i];
      EXPECT_EQ(f[0], std::to_string(i + 1));
      EXPECT_TRUE(std::regex_match(f[1], user_re)) << f[1];
      users.insert(f[1]);
      std::smatch m;
      ASSERT_TRUE(std::regex_match(f[2], m, time_re)) << f[2];
      const int day = std::stoi(m[1]);
      EXPECT_GE(day, days[s].first);
      EXPECT_LE(day, days[s].second);
      EXPECT_TRUE(std::regex_match(f[3], history_re)) << f[3];
      empty_histories += f[3].empty();
      if (s == 2) {
        EXPECT_TRUE(std::regex_match(f[4], unlabelled_re)) << f[4];
        continue;
      }
      EXPECT_TRUE(std::regex_match(f[4], labelled_re)) << f[4];
      const auto& imp = splits_[s].impressions[i];
      EXPECT_GE(std::count(imp.labels.begin(), imp.labels.end(), 1), 1) << lines[i];
      EXPECT_GE(std::count(imp.labels.begin(), imp.labels.end(), 0), 1) << lines[i];
      EXPECT_EQ(std::set<std::string>(imp.news.begin(), imp.news.end()).size(), imp.news.size())
          << "candidates repeat in " << lines[i];
    }
    if (s == 0) {
      EXPECT_GT(empty_histories, 0) << "MIND has users with empty histories";
    }
  }
  EXPECT_EQ(static_cast<std::int64_t>(users.size()), summary_.users);
  EXPECT_EQ(summary_.users, options_.users);  // train has more impressions than users: all appear
}

TEST_F(MindSynth, EntityVectorsMatchRelationEmbeddingFormat) {
  const std::regex value_re("-?[0-9]+\\.[0-9]{6}");
  std::set<std::string> all;
  for (int s = 0; s < 3; ++s) {
    std::set<std::string> expected;
    for (const auto& [id, row] : splits_[s].news) {
      for (int col : {6, 7}) {
        for (const auto& e : nlohmann::json::parse(row[col]))
          expected.insert(e["WikidataId"].get<std::string>());
      }
    }
    std::set<std::string> ids;
    for (const auto& line : lines_of(dir_ / kSplits[s] / "entity_embedding.vec")) {
      const auto f = split(line, '\t');
      // id, entity_dim values, and the empty field after MIND's trailing tab
      ASSERT_EQ(f.size(), static_cast<std::size_t>(options_.entity_dim + 2)) << line.substr(0, 80);
      EXPECT_TRUE(f.back().empty());
      EXPECT_TRUE(ids.insert(f[0]).second) << "duplicate " << f[0];
      for (std::size_t k = 1; k + 1 < f.size(); ++k)
        EXPECT_TRUE(std::regex_match(f[k], value_re)) << f[k];
    }
    EXPECT_EQ(ids, expected) << kSplits[s];
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(static_cast<std::int64_t>(all.size()), summary_.entities);
}

// Lower-cased word tokens of MIND text, with the punctuation that sticks to words split off.
std::vector<std::string> tokens_of(const std::string& text) {
  std::vector<std::string> out;
  for (std::string w : words_of(text)) {
    for (bool changed = true; changed && !w.empty();) {
      changed = false;
      for (const std::string suffix : {",", ".", "?", "!", ":", "…", "'s"}) {
        if (w.size() > suffix.size() &&
            w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0) {
          w.resize(w.size() - suffix.size());
          changed = true;
        }
      }
    }
    if (w == "|") continue;
    for (char& c : w) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    out.push_back(w);
  }
  return out;
}

TEST_F(MindSynth, GloveCoversMostButNotAllCorpusWords) {
  const auto lines = lines_of(dir_ / "glove.txt");
  ASSERT_EQ(static_cast<std::int64_t>(lines.size()), summary_.words);
  std::set<std::string> glove;
  for (const auto& line : lines) {
    const auto f = split(line, ' ');
    ASSERT_EQ(f.size(), static_cast<std::size_t>(options_.word_dim + 1)) << line.substr(0, 80);
    EXPECT_TRUE(std::none_of(f[0].begin(), f[0].end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
        << f[0];
    EXPECT_TRUE(glove.insert(f[0]).second) << "duplicate " << f[0];
    for (std::size_t k = 1; k < f.size(); ++k) {
      std::size_t used = 0;
      const double v = std::stod(f[k], &used);
      EXPECT_EQ(used, f[k].size()) << f[k];
      EXPECT_LT(std::abs(v), 10.0);
    }
  }
  // Ordered by corpus frequency, like real GloVe: the most common tokens first.
  const std::set<std::string> frequent = {"the", ",", "."};
  EXPECT_EQ(frequent.count(split(lines[0], ' ')[0]), 1u) << lines[0].substr(0, 20);
  std::set<std::string> corpus;
  for (const auto& s : splits_) {
    for (const auto& [id, row] : s.news) {
      for (const auto& t : tokens_of(row[3] + " " + row[4])) corpus.insert(t);
    }
  }
  std::size_t known = 0;
  for (const auto& w : corpus) known += glove.count(w);
  const double coverage = static_cast<double>(known) / static_cast<double>(corpus.size());
  EXPECT_GT(coverage, 0.85) << known << " of " << corpus.size();
  EXPECT_LT(coverage, 0.98) << "some corpus words must be out of vocabulary";
  std::size_t unused = 0;
  for (const auto& w : glove) unused += corpus.count(w) == 0;
  EXPECT_GT(unused, 0u) << "GloVe should know words the corpus never uses";
  for (const char* w : {"the", "of", "to", "in", ",", ".", "zürich", "café", "2019"}) {
    EXPECT_EQ(glove.count(w), 1u) << w;
  }
  EXPECT_TRUE(corpus.count("zürich") || corpus.count("café") || corpus.count("são"));
}

TEST_F(MindSynth, EveryFileIsValidUtf8WithoutCarriageReturns) {
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string text = read_file(entry.path());
    EXPECT_TRUE(valid_utf8(text)) << entry.path();
    EXPECT_EQ(text.find('\r'), std::string::npos) << entry.path();
  }
  EXPECT_EQ(files, 10);
}

// Category of every news id (all splits' news.tsv).
std::unordered_map<std::string, std::string> categories_of(const Split (&splits)[3]) {
  std::unordered_map<std::string, std::string> category;
  for (const auto& s : splits) {
    for (const auto& [id, row] : s.news) category[id] = row[1];
  }
  return category;
}

// The category a user's history holds most (ties: alphabetically first); empty without history.
std::string favourite_category(const Impression& imp,
                               const std::unordered_map<std::string, std::string>& category) {
  std::map<std::string, int> counts;
  for (const auto& id : imp.history) ++counts[category.at(id)];
  std::string best;
  int best_count = 0;
  for (const auto& [c, n] : counts) {
    if (n > best_count) best = c, best_count = n;
  }
  return best;
}

TEST_F(MindSynth, UsersClickTheirHistorysFavouriteCategoryMoreOften) {
  const auto category = categories_of(splits_);
  // Per user: clicks and candidates in the favourite category, and elsewhere.
  std::map<std::string, std::array<double, 4>> per_user;
  for (const auto& imp : splits_[0].impressions) {
    const std::string favourite = favourite_category(imp, category);
    if (favourite.empty()) continue;
    auto& c = per_user[imp.user];
    for (std::size_t k = 0; k < imp.news.size(); ++k) {
      const int group = category.at(imp.news[k]) == favourite ? 0 : 2;
      c[group] += imp.labels[k];
      c[group + 1] += 1;
    }
  }
  double clicks_in = 0, shown_in = 0, clicks_out = 0, shown_out = 0;
  int users = 0, users_agree = 0;
  for (const auto& [user, c] : per_user) {
    clicks_in += c[0], shown_in += c[1], clicks_out += c[2], shown_out += c[3];
    if (c[1] >= 5 && c[3] >= 5) {
      ++users;
      users_agree += c[0] / c[1] > c[2] / c[3];
    }
  }
  const double rate_in = clicks_in / shown_in, rate_out = clicks_out / shown_out;
  EXPECT_GT(rate_in, 2.5 * rate_out) << rate_in << " vs " << rate_out;
  ASSERT_GT(users, 100);
  EXPECT_GT(static_cast<double>(users_agree) / users, 0.8) << users_agree << " of " << users;
}

TEST_F(MindSynth, TopicScorerBeatsPopularityWhichBeatsChanceOnDev) {
  const auto category = categories_of(splits_);
  std::unordered_map<std::string, double> train_clicks;
  for (const auto& imp : splits_[0].impressions) {
    for (std::size_t k = 0; k < imp.news.size(); ++k) train_clicks[imp.news[k]] += imp.labels[k];
  }
  double topic_auc = 0, popularity_auc = 0;
  for (const auto& imp : splits_[1].impressions) {
    std::map<std::string, double> share;
    for (const auto& id : imp.history)
      share[category.at(id)] += 1.0 / static_cast<double>(imp.history.size());
    std::vector<double> topic, popularity;
    for (const auto& id : imp.news) {
      topic.push_back(share[category.at(id)]);
      popularity.push_back(train_clicks[id]);
    }
    topic_auc += auc(topic, imp.labels);
    popularity_auc += auc(popularity, imp.labels);
  }
  const auto n = static_cast<double>(splits_[1].impressions.size());
  topic_auc /= n;
  popularity_auc /= n;
  EXPECT_GT(topic_auc, popularity_auc + 0.06) << topic_auc << " vs " << popularity_auc;
  EXPECT_GT(popularity_auc, 0.53);
}

std::map<std::string, std::string> all_files(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file())
      files[fs::relative(entry.path(), dir).string()] = read_file(entry.path());
  }
  return files;
}

MindOptions small_options(std::uint64_t seed) {
  MindOptions o;
  o.seed = seed;
  o.news = 300;
  o.users = 100;
  o.train_impressions = 300;
  o.dev_impressions = 100;
  o.test_impressions = 100;
  o.word_dim = 8;
  o.entity_dim = 6;
  return o;
}

TEST(MindSynthDeterminism, SameOptionsGiveIdenticalBytesOtherSeedsDiffer) {
  TempDir tmp;
  for (const char* name : {"a", "b", "c"}) fs::create_directories(tmp / name);
  write_mind(small_options(7), tmp / "a");
  write_mind(small_options(7), tmp / "b");
  write_mind(small_options(8), tmp / "c");
  const auto a = all_files(tmp / "a"), b = all_files(tmp / "b"), c = all_files(tmp / "c");
  ASSERT_EQ(a.size(), 10u);
  EXPECT_TRUE(a == b);
  for (const auto& [name, bytes] : a) {
    EXPECT_FALSE(bytes.empty()) << name;
    EXPECT_NE(bytes, c.at(name)) << name << " does not depend on the seed";
  }
}

TEST(MindSynthValidation, InvalidOptionsThrowNamingTheOption) {
  const rsdist::testing::OptionErrorCase<MindOptions> cases[] = {
      {[](MindOptions& o) { o.news = 0; }, "--news must be >= 10 (got 0)"},
      {[](MindOptions& o) { o.users = 0; }, "--users must be >= 1"},
      {[](MindOptions& o) { o.train_impressions = -1; }, "--train_impressions must be >= 1"},
      {[](MindOptions& o) { o.dev_impressions = 0; }, "--dev_impressions must be >= 1"},
      {[](MindOptions& o) { o.test_impressions = 0; }, "--test_impressions must be >= 1"},
      {[](MindOptions& o) { o.topics = 1; }, "--topics must be >= 2"},
      {[](MindOptions& o) { o.topics = 99; }, "--topics must be <= 17"},
      {[](MindOptions& o) { o.word_dim = 0; }, "--word_dim must be >= 1"},
      {[](MindOptions& o) { o.entity_dim = 0; }, "--entity_dim must be >= 1"},
  };
  rsdist::testing::expect_option_errors(
      cases, [](const MindOptions& o, const fs::path& dir) { write_mind(o, dir); });
  EXPECT_EQ(max_mind_topics(), 17);
  EXPECT_NO_THROW(validate(MindOptions{}));
}

TEST(MindSynthScale, MediumSizeHasConsistentCounts) {
  TempDir tmp;
  MindOptions o;
  o.news = 5000;
  o.users = 2000;
  o.train_impressions = 10000;
  o.dev_impressions = 2000;
  o.test_impressions = 2000;
  o.topics = 17;
  const auto s = write_mind(o, tmp.path());
  EXPECT_EQ(s.users, 2000);
  EXPECT_GT(s.news, 4000);
  EXPECT_LE(s.news, 5000);
  EXPECT_EQ(lines_of(tmp / "train/behaviors.tsv").size(), 10000u);
  EXPECT_EQ(lines_of(tmp / "test/behaviors.tsv").size(), 2000u);
  EXPECT_EQ(static_cast<std::int64_t>(lines_of(tmp / "glove.txt").size()), s.words);
  std::set<std::string> ids;
  for (const char* split_name : kSplits) {
    for (const auto& line : lines_of(tmp / split_name / "news.tsv"))
      ids.insert(line.substr(0, line.find('\t')));
  }
  EXPECT_EQ(static_cast<std::int64_t>(ids.size()), s.news);
}

}  // namespace
}  // namespace rsdist::synth
