#include "data/synth/synth_text.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "core/error.hpp"

namespace rsdist::synth {

WeightedSampler::WeightedSampler(const std::vector<double>& weights) {
  cumulative_.reserve(weights.size());
  double total = 0.0;
  for (double w : weights) {
    total += std::max(w, 0.0);
    cumulative_.push_back(total);
  }
}

std::size_t WeightedSampler::operator()(Rng& rng) const {
  RSDIST_CHECK(!empty(), "internal error: sampling from an empty weight table");
  const double r = rng.uniform01() * cumulative_.back();
  // First index whose cumulative weight exceeds r; zero-weight entries are never chosen.
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), r);
  const auto index = static_cast<std::size_t>(it - cumulative_.begin());
  return std::min(index, cumulative_.size() - 1);
}

std::vector<double> zipf_weights(std::size_t n, double offset) {
  std::vector<double> w(n);
  for (std::size_t r = 0; r < n; ++r) w[r] = 1.0 / (static_cast<double>(r) + offset);
  return w;
}

double lognormal_weight(Rng& rng, double sigma) { return std::exp(sigma * rng.normal()); }

namespace {

// Syllable parts; repeated entries make the common ones more likely, so words look pronounceable.
constexpr std::array<std::string_view, 34> kOnsets = {
    "b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",  "l",  "m",  "n",  "p",
    "r",  "s",  "t",  "v",  "w",  "z",  "br", "cr", "dr", "fl", "gr", "pl",
    "st", "tr", "ch", "sh", "th", "qu", "m",  "l",  "r",  "s"};
constexpr std::array<std::string_view, 14> kVowels = {"a", "e",  "i",  "o",  "u",  "a",  "e",
                                                      "o", "ai", "ea", "ou", "io", "ie", "y"};
constexpr std::array<std::string_view, 16> kCodas = {"",  "",  "",  "",   "",   "n",  "r",  "s",
                                                     "l", "m", "t", "nd", "rk", "st", "ng", "sk"};

}  // namespace

WordFactory::WordFactory(Rng rng) : rng_(rng) {
  for (std::string_view w : stop_words()) taken_.emplace(w);
}

std::string WordFactory::make(int min_syllables, int max_syllables) {
  for (;;) {
    const auto syllables = rng_.uniform_int(min_syllables, max_syllables);
    std::string word;
    for (std::int64_t s = 0; s < syllables; ++s) {
      word += kOnsets[rng_.uniform_below(kOnsets.size())];
      word += kVowels[rng_.uniform_below(kVowels.size())];
      // Codas mostly close the word; inside it they would pile up consonants.
      if (s + 1 == syllables || rng_.bernoulli(0.25))
        word += kCodas[rng_.uniform_below(kCodas.size())];
    }
    if (word.size() >= 3 && taken_.insert(word).second) return word;
  }
}

const std::vector<std::string_view>& mind_categories() {
  static const std::vector<std::string_view> names = {
      "news",   "sports",        "finance", "foodanddrink", "lifestyle", "travel",
      "video",  "weather",       "health",  "autos",        "tv",        "music",
      "movies", "entertainment", "kids",    "northamerica", "middleeast"};
  return names;
}

const std::vector<std::string_view>& stop_words() {
  static const std::vector<std::string_view> words = {
      "the",   "of",   "to",     "and",   "a",     "in",    "for",  "is",    "on",     "that",
      "with",  "as",   "at",     "by",    "from",  "it",    "was",  "be",    "this",   "are",
      "an",    "has",  "have",   "after", "new",   "his",   "her",  "their", "will",   "more",
      "about", "up",   "out",    "over",  "into",  "how",   "what", "why",   "who",    "when",
      "not",   "but",  "or",     "all",   "one",   "first", "two",  "could", "than",   "its",
      "you",   "your", "we",     "they",  "he",    "she",   "can",  "just",  "back",   "off",
      "says",  "said", "before", "here",  "these", "most",  "now",  "year",  "people", "time"};
  return words;
}

const std::vector<AccentedWord>& accented_words() {
  static const std::vector<AccentedWord> words = {
      {"café", "café", false},      {"naïve", "naïve", false},     {"Zürich", "zürich", true},
      {"São", "são", true},         {"résumé", "résumé", false},   {"jalapeño", "jalapeño", false},
      {"Málaga", "málaga", true},   {"München", "münchen", true},  {"Kraków", "kraków", true},
      {"crème", "crème", false},    {"brûlée", "brûlée", false},   {"Pokémon", "pokémon", true},
      {"Beyoncé", "beyoncé", true}, {"Québec", "québec", true},    {"piñata", "piñata", false},
      {"façade", "façade", false},  {"fiancée", "fiancée", false}, {"Curaçao", "curaçao", true}};
  return words;
}

const std::vector<std::string_view>& movie_genres() {
  static const std::vector<std::string_view> genres = {
      "Action",      "Adventure", "Animation", "Children's", "Comedy", "Crime",
      "Documentary", "Drama",     "Fantasy",   "Film-Noir",  "Horror", "Musical",
      "Mystery",     "Romance",   "Sci-Fi",    "Thriller",   "War",    "Western"};
  return genres;
}

std::string capitalize(std::string_view word) {
  std::string out(word);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::vector<float> gaussian_vector(Rng& rng, std::size_t dim, double scale) {
  std::vector<float> v(dim);
  for (auto& x : v) x = static_cast<float>(scale * rng.normal());
  return v;
}

std::vector<float> around(Rng& rng, const std::vector<float>& centre, double noise) {
  std::vector<float> v(centre.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<float>(static_cast<double>(centre[i]) + noise * rng.normal());
  }
  return v;
}

}  // namespace rsdist::synth
