// Synthetic MIND: users, impressions and the per-split files (the news corpus is in mind_news.cpp).
//
// The click model, which the tests check from the files alone:
//   P(click | u, n) = sigmoid(kBase + kAffinity * affinity(u, topic(n)) + kPopularity * log pop(n))
// Each user has 1-3 strongly preferred topics (affinity 0.65..1) and a weak interest in the rest,
// so the topic carries most of the signal and popularity a little: a content-aware scorer clearly
// beats a popularity scorer, which still beats chance. Histories are earlier clicks under the same
// model.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/synth/mind_news.hpp"
#include "data/synth/synth.hpp"
#include "data/synth/synth_io.hpp"
#include "data/synth/synth_text.hpp"

namespace rsdist::synth {

namespace {

constexpr double kBase = -4.6;
constexpr double kAffinity = 3.6;
constexpr double kPopularity = 0.45;

constexpr std::int64_t kMaxNews = 10'000'000;
constexpr std::int64_t kMaxCount = 100'000'000;
constexpr std::int64_t kMaxDim = 4096;

// Day 0 is before the log (histories); days 1..5 are 11/9..11/13/2019 (train), 6 is 11/14 (dev) and
// 7 is 11/15 (test), as in MIND.
constexpr std::int32_t kDays = 7;

struct Split {
  const char* name;
  std::int64_t impressions;
  std::int32_t first_day;
  std::int32_t last_day;
  bool labels;
};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct User {
  std::vector<float> affinity;  // per topic
  std::string history;          // space-separated news ids, as written
  std::vector<std::int32_t> history_ids;
};

// `11/12/2019 2:14:46 PM`
void append_time(std::string& out, std::int32_t day, std::int64_t second_of_day) {
  const auto hour = second_of_day / 3600;
  const auto minute = second_of_day / 60 % 60;
  const auto second = second_of_day % 60;
  const auto hour12 = hour % 12 == 0 ? 12 : hour % 12;
  fmt::format_to(std::back_inserter(out), "11/{}/2019 {}:{:02d}:{:02d} {}", 8 + day, hour12, minute,
                 second, hour < 12 ? "AM" : "PM");
}

class MindBuilder {
 public:
  MindBuilder(const MindOptions& options, const mind::NewsWorld& world)
      : options_(options), world_(world), news_(world.news()) {
    build_users();
    build_candidate_pools();
  }

  // Writes one split's behaviors.tsv, news.tsv and entity_embedding.vec; marks what it used.
  void write_split(const Split& split, std::uint64_t split_index, const std::filesystem::path& dir,
                   std::vector<char>& news_used, std::vector<char>& users_used,
                   std::vector<char>& entities_used);

 private:
  void build_users();
  void build_candidate_pools();
  double click_probability(const User& u, std::int32_t news) const {
    const auto& n = news_[news];
    return sigmoid(kBase + kAffinity * u.affinity[n.topic] + kPopularity * n.log_popularity);
  }

  const MindOptions& options_;
  const mind::NewsWorld& world_;
  const std::vector<mind::News>& news_;
  std::vector<User> users_;
  WeightedSampler activity_;  // how often each user shows up
  // Per day: the news on offer (published by then) and a popularity sampler favouring fresh news.
  std::vector<std::vector<std::int32_t>> available_;
  std::vector<WeightedSampler> popular_;
};

void MindBuilder::build_users() {
  const auto topics = static_cast<std::size_t>(world_.topics());
  // History candidates: news that predate the log, per topic, weighted by popularity.
  std::vector<std::vector<std::int32_t>> old_news(topics);
  for (std::size_t i = 0; i < news_.size(); ++i) {
    if (news_[i].first_day == 0) old_news[news_[i].topic].push_back(static_cast<std::int32_t>(i));
  }
  std::vector<WeightedSampler> old_samplers;
  for (const auto& list : old_news) {
    std::vector<double> w;
    for (std::int32_t i : list) w.push_back(std::exp(news_[i].log_popularity));
    old_samplers.emplace_back(w);
  }
  const auto topic_weights = zipf_weights(topics, 2.0);  // fans follow category sizes

  Rng rng = Rng::stream(options_.seed, {mind::kUsers});
  users_.resize(static_cast<std::size_t>(options_.users));
  std::vector<double> activity;
  for (std::size_t u = 0; u < users_.size(); ++u) {
    User& user = users_[u];
    user.affinity.resize(topics);
    for (auto& a : user.affinity) a = static_cast<float>(0.02 + 0.1 * rng.uniform01());
    const double r = rng.uniform01();
    const int strong = r < 0.45 ? 1 : (r < 0.8 ? 2 : 3);
    auto weights = topic_weights;
    for (int k = 0; k < strong && k < static_cast<int>(topics); ++k) {
      const auto t = rng.categorical(weights);
      weights[t] = 0.0;  // distinct strong topics
      user.affinity[t] = static_cast<float>(0.65 + 0.35 * rng.uniform01());
    }
    activity.push_back(lognormal_weight(rng, 0.8));

    // History: clicks before the log. Topics in proportion to (news on offer x click probability).
    Rng hist = Rng::stream(options_.seed, {mind::kHistories, u});
    std::int64_t length = 0;
    if (!hist.bernoulli(0.04)) {  // some MIND users have an empty history
      length = std::clamp<std::int64_t>(
          static_cast<std::int64_t>(std::exp(2.6 + 0.9 * hist.normal())), 1, 300);
    }
    std::vector<double> history_topics(topics);
    for (std::size_t t = 0; t < topics; ++t) {
      history_topics[t] =
          static_cast<double>(old_news[t].size()) * sigmoid(kBase + kAffinity * user.affinity[t]);
    }
    for (std::int64_t k = 0; k < length; ++k) {
      const auto t = hist.categorical(history_topics);
      if (old_news[t].empty()) continue;  // only reachable through rounding at the last topic
      const auto id = old_news[t][old_samplers[t](hist)];
      user.history_ids.push_back(id);
      if (k > 0) user.history += ' ';
      user.history += mind::NewsWorld::news_id(id);
    }
  }
  activity_ = WeightedSampler(activity);
}

void MindBuilder::build_candidate_pools() {
  available_.resize(kDays + 1);
  popular_.resize(kDays + 1);
  for (std::int32_t day = 1; day <= kDays; ++day) {
    std::vector<double> weights(news_.size(), 0.0);
    for (std::size_t i = 0; i < news_.size(); ++i) {
      const auto& n = news_[i];
      if (n.first_day > day) continue;
      available_[day].push_back(static_cast<std::int32_t>(i));
      const double fresh = n.first_day == day ? 3.0 : (n.first_day == day - 1 ? 2.0 : 1.0);
      weights[i] = std::exp(n.log_popularity) * fresh;
    }
    popular_[day] = WeightedSampler(weights);
  }
}

void MindBuilder::write_split(const Split& split, std::uint64_t split_index,
                              const std::filesystem::path& dir, std::vector<char>& news_used,
                              std::vector<char>& users_used, std::vector<char>& entities_used) {
  Rng rng = Rng::stream(options_.seed, {mind::kImpressions, split_index});
  // Who shows up: in train every user at least once (when there are enough impressions), then users
  // in proportion to their activity; order shuffled.
  std::vector<std::int32_t> who;
  if (split.first_day == 1) {
    for (std::size_t u = 0; u < users_.size(); ++u) who.push_back(static_cast<std::int32_t>(u));
    rng.shuffle(who);
    if (static_cast<std::int64_t>(who.size()) > split.impressions) who.resize(split.impressions);
  }
  while (static_cast<std::int64_t>(who.size()) < split.impressions) {
    who.push_back(static_cast<std::int32_t>(activity_(rng)));
  }
  rng.shuffle(who);

  std::vector<char> in_split(news_.size(), 0);
  std::vector<char> user_in_split(users_.size(), 0);
  TextFile behaviors(dir / "behaviors.tsv");
  std::string& out = behaviors.buffer();
  std::vector<std::int32_t> candidates;
  std::vector<char> clicked;
  std::vector<double> p;
  for (std::int64_t i = 0; i < split.impressions; ++i) {
    const auto u = who[i];
    const User& user = users_[u];
    if (!user_in_split[u]) {
      user_in_split[u] = 1;
      for (std::int32_t id : user.history_ids) in_split[id] = 1;
    }
    const auto day = static_cast<std::int32_t>(rng.uniform_int(split.first_day, split.last_day));
    const auto second = rng.uniform_int(0, 86399);
    const auto& pool = available_[day];
    auto size = 2 + std::min<std::int64_t>(
                        298, static_cast<std::int64_t>(std::exp(2.9 + 0.7 * rng.normal())));
    size = std::min<std::int64_t>(size, static_cast<std::int64_t>(pool.size()));

    // Candidates: a mix of popular (and fresh) news and news drawn uniformly, without repeats.
    candidates.clear();
    for (std::int64_t tries = 0;
         static_cast<std::int64_t>(candidates.size()) < size && tries < 50 * size; ++tries) {
      const auto id = rng.bernoulli(0.65) ? static_cast<std::int32_t>(popular_[day](rng))
                                          : pool[rng.uniform_below(pool.size())];
      if (std::find(candidates.begin(), candidates.end(), id) == candidates.end())
        candidates.push_back(id);
    }
    // Labels; every labelled impression has at least one click and one non-click, as in MIND.
    const auto n = candidates.size();
    clicked.assign(n, 0);
    if (split.labels && n >= 2) {
      p.resize(n);
      bool any_click = false, any_skip = false;
      for (std::size_t k = 0; k < n; ++k) {
        p[k] = click_probability(user, candidates[k]);
        clicked[k] = rng.bernoulli(p[k]) ? 1 : 0;
        (clicked[k] ? any_click : any_skip) = true;
      }
      if (!any_click) clicked[rng.categorical(p)] = 1;
      if (!any_skip) {
        for (auto& q : p) q = 1.0 - q;
        clicked[rng.categorical(p)] = 0;
      }
    }

    append_int(out, i + 1);
    out += "\tU";
    append_int(out, u + 1);
    out += '\t';
    append_time(out, day, second);
    out += '\t';
    out += user.history;
    out += '\t';
    for (std::size_t k = 0; k < n; ++k) {
      if (k > 0) out += ' ';
      out += mind::NewsWorld::news_id(candidates[k]);
      if (split.labels) out += clicked[k] ? "-1" : "-0";
      in_split[candidates[k]] = 1;
    }
    out += '\n';
    behaviors.maybe_flush();
  }
  behaviors.close();

  // news.tsv: every news the split's behaviors mention, same row in every split.
  TextFile news_file(dir / "news.tsv");
  std::vector<char> entity_in_split(world_.entities().size(), 0);
  for (std::size_t i = 0; i < news_.size(); ++i) {
    if (!in_split[i]) continue;
    news_file.buffer() += news_[i].row;
    news_file.maybe_flush();
    news_used[i] = 1;
    for (std::int32_t e : news_[i].entities) entity_in_split[e] = 1;
  }
  news_file.close();

  std::vector<std::int32_t> entity_list;
  for (std::size_t e = 0; e < entity_in_split.size(); ++e) {
    if (!entity_in_split[e]) continue;
    entity_list.push_back(static_cast<std::int32_t>(e));
    entities_used[e] = 1;
  }
  world_.write_entity_vectors(dir / "entity_embedding.vec", entity_list);
  for (std::size_t u = 0; u < users_.size(); ++u) users_used[u] |= user_in_split[u];
}

std::int64_t count_set(const std::vector<char>& flags) {
  return static_cast<std::int64_t>(std::count(flags.begin(), flags.end(), 1));
}

}  // namespace

std::int64_t max_mind_topics() { return static_cast<std::int64_t>(mind_categories().size()); }

void validate(const MindOptions& o) {
  check_option_range("news", o.news, 10, kMaxNews);
  check_option_range("users", o.users, 1, kMaxCount);
  check_option_range("train_impressions", o.train_impressions, 1, kMaxCount);
  check_option_range("dev_impressions", o.dev_impressions, 1, kMaxCount);
  check_option_range("test_impressions", o.test_impressions, 1, kMaxCount);
  check_option_range("topics", o.topics, 2, max_mind_topics());
  check_option_range("word_dim", o.word_dim, 1, kMaxDim);
  check_option_range("entity_dim", o.entity_dim, 1, kMaxDim);
}

MindSummary write_mind(const MindOptions& options, const std::filesystem::path& dir) {
  validate(options);
  RSDIST_CHECK(std::filesystem::is_directory(dir), "output directory {} does not exist",
               dir.string());

  const mind::NewsWorld world(options);
  MindBuilder builder(options, world);
  const Split splits[] = {{"train", options.train_impressions, 1, 5, true},
                          {"dev", options.dev_impressions, 6, 6, true},
                          {"test", options.test_impressions, 7, 7, false}};
  std::vector<char> news_used(world.news().size(), 0);
  std::vector<char> users_used(static_cast<std::size_t>(options.users), 0);
  std::vector<char> entities_used(world.entities().size(), 0);
  for (std::uint64_t s = 0; s < 3; ++s) {
    const auto split_dir = dir / splits[s].name;
    std::filesystem::create_directories(split_dir);
    builder.write_split(splits[s], s, split_dir, news_used, users_used, entities_used);
  }

  MindSummary summary;
  summary.news = count_set(news_used);
  summary.users = count_set(users_used);
  summary.train_impressions = options.train_impressions;
  summary.dev_impressions = options.dev_impressions;
  summary.test_impressions = options.test_impressions;
  summary.words = world.write_glove(dir / "glove.txt");
  summary.entities = count_set(entities_used);
  return summary;
}

}  // namespace rsdist::synth
