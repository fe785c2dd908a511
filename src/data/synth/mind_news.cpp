#include "data/synth/mind_news.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "data/synth/synth_io.hpp"

namespace rsdist::synth::mind {

namespace {

// Entity types with MIND-small's relative frequencies (O: organisation, G: geo, P: person, ...).
constexpr std::array<char, 20> kEntityTypes = {'O', 'G', 'P', 'U', 'C', 'N', 'F', 'M', 'S', 'W',
                                               'E', 'L', 'B', 'H', 'V', 'J', 'Y', 'K', 'R', 'I'};
constexpr std::array<double, 20> kEntityTypeWeights = {
    1603, 1437, 1314, 371, 253, 201, 176, 139, 127, 94, 72, 64, 48, 45, 40, 31, 19, 18, 7, 3};
// Trailing tags as in "... office | PHOTOS".
constexpr std::array<std::string_view, 5> kTags = {"PHOTOS", "VIDEO", "WATCH", "LIVE", "OPINION"};

constexpr double kGloveMissing = 0.07;  // share of corpus words left out of glove.txt (OOV)

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// "1.0" or a three-decimal value without trailing zeros ("0.97"), the way Python prints MIND's
// floats.
std::string draw_confidence(Rng& rng) {
  if (rng.bernoulli(0.65)) return "1.0";
  auto milli = rng.bernoulli(0.85) ? rng.uniform_int(900, 999) : rng.uniform_int(500, 899);
  std::string digits = fmt::format("{:03d}", milli);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  return "0." + digits;
}

}  // namespace

NewsWorld::NewsWorld(const MindOptions& options) : options_(options) {
  const auto& names = mind_categories();
  for (std::int64_t t = 0; t < options.topics; ++t) categories_.emplace_back(names[t]);
  // Larger categories first, as in MIND (news and sports dominate).
  topic_sampler_ = WeightedSampler(zipf_weights(categories_.size(), 2.0));

  WordFactory factory(Rng::stream(options.seed, {kWords, 0}));
  build_vocabulary(factory);
  build_entities(factory);
  build_news();

  // Words that GloVe knows but the corpus never uses, as in any real pre-trained vocabulary.
  Rng rng = Rng::stream(options.seed, {kGloveExtras});
  const auto extra_words =
      std::max<std::int64_t>(20, static_cast<std::int64_t>(words_.size()) / 20);
  for (std::int64_t i = 0; i < extra_words; ++i) {
    const auto topic = rng.bernoulli(0.5) ? static_cast<std::int32_t>(topic_sampler_(rng)) : -1;
    std::string w = factory.make(2, 3);
    const auto id = add_word(w, w, WordKind::kGeneral, topic, true);
    words_[id].count = rng.uniform_int(0, 2);  // rare: sorts to the end of glove.txt
  }
}

std::int32_t NewsWorld::add_word(std::string text, std::string lower, WordKind kind,
                                 std::int32_t topic, bool in_glove) {
  words_.push_back(Word{std::move(text), std::move(lower), kind, topic, in_glove, 0});
  return static_cast<std::int32_t>(words_.size() - 1);
}

void NewsWorld::build_vocabulary(WordFactory& factory) {
  Rng rng = Rng::stream(options_.seed, {kWords, 1});
  auto punct = [&](std::string_view p) {
    return add_word(std::string(p), std::string(p), WordKind::kPunct, -1, true);
  };
  comma_ = punct(",");
  period_ = punct(".");
  question_ = punct("?");
  exclamation_ = punct("!");
  colon_ = punct(":");
  bar_ = punct("|");
  possessive_ = punct("'s");
  ellipsis_ = punct("…");

  for (std::string_view w : stop_words()) {
    stop_ids_.push_back(add_word(std::string(w), std::string(w), WordKind::kStop, -1, true));
  }
  stop_sampler_ = WeightedSampler(zipf_weights(stop_ids_.size(), 1.5));

  // Numbers: recent years first, then small counts ("2019", "3").
  for (int year = 2019; year >= 1990; --year) {
    number_ids_.push_back(
        add_word(std::to_string(year), std::to_string(year), WordKind::kNumber, -1, true));
  }
  for (int n = 1; n <= 60; ++n) {
    number_ids_.push_back(
        add_word(std::to_string(n), std::to_string(n), WordKind::kNumber, -1, true));
  }
  number_sampler_ = WeightedSampler(zipf_weights(number_ids_.size(), 2.0));

  for (const auto& a : accented_words()) {
    factory.reserve(a.lower);
    accented_ids_.push_back(
        add_word(std::string(a.text), std::string(a.lower), WordKind::kAccented, -1, true));
  }
  for (std::string_view tag : kTags) {
    factory.reserve(lower_ascii(tag));
    tag_ids_.push_back(add_word(std::string(tag), lower_ascii(tag), WordKind::kTag, -1, true));
  }

  // Vocabulary sizes grow with the corpus, so MIND-small scale gets ~10^4..10^5 distinct words.
  const auto general = 150 + options_.news / 12;
  for (std::int64_t i = 0; i < general; ++i) {
    std::string w = factory.make(1, 3);
    general_ids_.push_back(add_word(w, w, WordKind::kGeneral, -1, !rng.bernoulli(kGloveMissing)));
  }
  general_sampler_ = WeightedSampler(zipf_weights(general_ids_.size(), 5.0));

  const auto per_topic = 60 + options_.news / options_.topics;
  topic_word_ids_.resize(categories_.size());
  for (std::size_t t = 0; t < categories_.size(); ++t) {
    for (std::int64_t i = 0; i < per_topic; ++i) {
      std::string w = factory.make(2, 3);
      topic_word_ids_[t].push_back(add_word(w, w, WordKind::kTopic, static_cast<std::int32_t>(t),
                                            !rng.bernoulli(kGloveMissing)));
    }
    topic_word_samplers_.emplace_back(zipf_weights(topic_word_ids_[t].size(), 3.0));
  }

  // Subcategories named like MIND's ("newspolitics", "sportsnfl"): category + a topic word.
  subcategories_.resize(categories_.size());
  for (std::size_t t = 0; t < categories_.size(); ++t) {
    const auto count = rng.uniform_int(2, 6);
    for (std::int64_t s = 0; s < count; ++s) {
      subcategories_[t].push_back(categories_[t] + factory.make(1, 2));
    }
    subcategory_samplers_.emplace_back(zipf_weights(subcategories_[t].size(), 1.0));
  }
}

void NewsWorld::build_entities(WordFactory& factory) {
  Rng rng = Rng::stream(options_.seed, {kEntities});
  std::vector<std::int32_t> proper_accented;
  for (std::size_t i = 0; i < accented_words().size(); ++i) {
    if (accented_words()[i].proper) proper_accented.push_back(accented_ids_[i]);
  }
  const std::vector<double> type_weights(kEntityTypeWeights.begin(), kEntityTypeWeights.end());
  std::unordered_set<std::string> wikidata_ids;

  const auto per_topic = 12 + options_.news / (options_.topics * 2);
  topic_entity_ids_.resize(categories_.size());
  for (std::size_t t = 0; t < categories_.size(); ++t) {
    for (std::int64_t i = 0; i < per_topic; ++i) {
      Entity e;
      e.topic = static_cast<std::int32_t>(t);
      const double r = rng.uniform01();
      const int name_words = r < 0.35 ? 1 : (r < 0.85 ? 2 : 3);
      for (int k = 0; k < name_words; ++k) {
        std::int32_t id;
        if (rng.bernoulli(0.08)) {
          id = proper_accented[rng.uniform_below(proper_accented.size())];
        } else {
          std::string w = factory.make(1, 3);
          id = add_word(capitalize(w), w, WordKind::kName, e.topic, !rng.bernoulli(kGloveMissing));
        }
        e.surface_words.push_back(id);
        if (k > 0) e.surface += ' ';
        e.surface += words_[id].text;
      }
      // Some labels carry a qualifier that the text omits: "Fort Lauderdale, Florida".
      e.label = e.surface;
      if (rng.bernoulli(0.2)) e.label += ", " + capitalize(factory.make(2, 3));
      e.type = kEntityTypes[rng.categorical(type_weights)];
      do {
        const auto digits = rng.uniform_int(3, 8);
        e.wikidata_id = "Q" + std::to_string(rng.uniform_int(1, 9));
        for (std::int64_t d = 1; d < digits; ++d)
          e.wikidata_id += static_cast<char>('0' + rng.uniform_below(10));
      } while (!wikidata_ids.insert(e.wikidata_id).second);
      e.confidence = draw_confidence(rng);
      topic_entity_ids_[t].push_back(static_cast<std::int32_t>(entities_.size()));
      entities_.push_back(std::move(e));
    }
    topic_entity_samplers_.emplace_back(zipf_weights(topic_entity_ids_[t].size(), 2.0));
  }
}

void NewsWorld::build_news() {
  const auto count = static_cast<std::size_t>(options_.news);
  news_.resize(count);
  Rng meta = Rng::stream(options_.seed, {kNewsMeta});
  std::vector<std::int64_t> per_topic(categories_.size(), 0);
  for (News& n : news_) {
    n.topic = static_cast<std::int32_t>(topic_sampler_(meta));
    n.subcategory = static_cast<std::int32_t>(subcategory_samplers_[n.topic](meta));
    n.log_popularity = 1.0 * meta.normal();
    // Three quarters of the news predate the log; the rest appear day by day (cold-start news).
    n.first_day = meta.bernoulli(0.75) ? 0 : static_cast<std::int32_t>(meta.uniform_int(1, 7));
    ++per_topic[n.topic];
  }
  // Every category should have news: move an article over from the largest category (impossible
  // only with fewer news than categories, which the rest of the generator tolerates).
  for (std::size_t t = 0; t < categories_.size(); ++t) {
    if (per_topic[t] > 0) continue;
    const auto largest = static_cast<std::int32_t>(
        std::max_element(per_topic.begin(), per_topic.end()) - per_topic.begin());
    if (per_topic[largest] <= 1) break;
    for (News& n : news_) {
      if (n.topic != largest) continue;
      --per_topic[largest];
      n.topic = static_cast<std::int32_t>(t);
      n.subcategory = 0;
      ++per_topic[t];
      break;
    }
  }
  // Impressions need candidates from the first day on.
  news_[0].first_day = 0;
  news_[1].first_day = 0;

  Rng url_rng = Rng::stream(options_.seed, {kUrls});
  std::unordered_set<std::string> urls;
  static constexpr std::string_view kAlnum =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::vector<Mention> title_mentions, abstract_mentions;
  for (std::size_t i = 0; i < count; ++i) {
    News& n = news_[i];
    Rng rng = Rng::stream(options_.seed, {kNewsText, i});
    const std::string title = render_title(rng, n.topic, title_mentions);
    const std::string abstract = render_abstract(rng, n.topic, title_mentions, abstract_mentions);
    std::string code;
    do {
      code = "AA";
      for (int k = 0; k < 5; ++k) code += kAlnum[url_rng.uniform_below(kAlnum.size())];
    } while (!urls.insert(code).second);

    std::string& row = n.row;
    row.reserve(256 + title.size() + abstract.size());
    row += news_id(static_cast<std::int64_t>(i));
    row += '\t';
    row += categories_[n.topic];
    row += '\t';
    row += subcategories_[n.topic][n.subcategory];
    row += '\t';
    row += title;
    row += '\t';
    row += abstract;
    row += "\thttps://assets.msn.com/labs/mind/" + code + ".html\t";
    append_entities_json(row, title_mentions);
    row += '\t';
    append_entities_json(row, abstract_mentions);
    row += '\n';

    for (const auto* list : {&title_mentions, &abstract_mentions}) {
      for (const Mention& m : *list) n.entities.push_back(m.entity);
    }
    std::sort(n.entities.begin(), n.entities.end());
    n.entities.erase(std::unique(n.entities.begin(), n.entities.end()), n.entities.end());
  }
}

std::int64_t NewsWorld::write_glove(const std::filesystem::path& path) const {
  // Real GloVe files list words by corpus frequency; ties keep vocabulary order.
  std::vector<std::int32_t> order;
  for (std::size_t i = 0; i < words_.size(); ++i) {
    if (words_[i].in_glove) order.push_back(static_cast<std::int32_t>(i));
  }
  std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    return words_[a].count > words_[b].count;
  });

  const auto dim = static_cast<std::size_t>(options_.word_dim);
  std::vector<std::vector<float>> centroids;
  for (std::size_t t = 0; t < categories_.size(); ++t) {
    Rng rng = Rng::stream(options_.seed, {kWordCentroids, t});
    centroids.push_back(gaussian_vector(rng, dim, 0.45));
  }
  TextFile file(path);
  std::string& out = file.buffer();
  for (std::int32_t id : order) {
    const Word& w = words_[id];
    Rng rng = Rng::stream(options_.seed, {kWordVectors, static_cast<std::uint64_t>(id)});
    const auto vec =
        w.topic >= 0 ? around(rng, centroids[w.topic], 0.35) : gaussian_vector(rng, dim, 0.4);
    out += w.lower;
    for (float x : vec) {
      out += ' ';
      append_glove_float(out, x);
    }
    out += '\n';
    file.maybe_flush();
  }
  file.close();
  return static_cast<std::int64_t>(order.size());
}

void NewsWorld::write_entity_vectors(const std::filesystem::path& path,
                                     const std::vector<std::int32_t>& entity_indices) const {
  const auto dim = static_cast<std::size_t>(options_.entity_dim);
  std::vector<std::vector<float>> centroids;
  for (std::size_t t = 0; t < categories_.size(); ++t) {
    Rng rng = Rng::stream(options_.seed, {kEntityCentroids, t});
    centroids.push_back(gaussian_vector(rng, dim, 0.08));
  }
  TextFile file(path);
  std::string& out = file.buffer();
  for (std::int32_t e : entity_indices) {
    Rng rng = Rng::stream(options_.seed, {kEntityVectors, static_cast<std::uint64_t>(e)});
    const auto vec = around(rng, centroids[entities_[e].topic], 0.04);
    out += entities_[e].wikidata_id;
    for (float x : vec) {
      out += '\t';
      append_fixed6(out, x);
    }
    out += "\t\n";  // MIND's .vec lines end with a tab
    file.maybe_flush();
  }
  file.close();
}

}  // namespace rsdist::synth::mind
