// The shared "world" of the synthetic data sets: pseudo-words built from syllables, fixed name
// lists (MIND categories, stop words, accented words, MovieLens genres), weighted sampling and
// topic-centred vectors.
//
// Pseudo-words rather than a real word list keep the generator self-contained and make every
// vocabulary size possible; they are lower-case ASCII, so the few accented words are the only
// non-ASCII text and a Unicode-aware tokenizer is exercised on purpose rather than by accident.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/rng.hpp"

namespace rsdist::synth {

// Draws an index with probability proportional to fixed weights in O(log n): cumulative sums and a
// binary search (Rng::categorical is O(n) per draw, too slow for vocabularies of 10^4..10^5).
class WeightedSampler {
 public:
  WeightedSampler() = default;
  explicit WeightedSampler(const std::vector<double>& weights);

  std::size_t operator()(Rng& rng) const;
  std::size_t size() const { return cumulative_.size(); }
  bool empty() const { return cumulative_.empty() || cumulative_.back() <= 0.0; }

 private:
  std::vector<double> cumulative_;
};

// Zipf-like weights 1 / (rank + offset), rank = 0..n-1. Plain division rather than pow(), so the
// weights are bit-identical everywhere.
std::vector<double> zipf_weights(std::size_t n, double offset);

// A lognormal-ish positive weight exp(sigma * N(0,1)), used for popularity and activity.
double lognormal_weight(Rng& rng, double sigma);

// Makes distinct pseudo-words ("brastel", "quonim") from syllables. Words are lower-case ASCII, at
// least three letters long, and never collide with each other, with the stop words or with anything
// passed to reserve().
class WordFactory {
 public:
  explicit WordFactory(Rng rng);

  std::string make(int min_syllables, int max_syllables);
  void reserve(std::string_view word) { taken_.emplace(word); }

 private:
  Rng rng_;
  std::unordered_set<std::string> taken_;
};

// The 17 MIND news categories, most frequent first ("news", "sports", "finance", ...).
const std::vector<std::string_view>& mind_categories();

// Common English function words, most frequent first.
const std::vector<std::string_view>& stop_words();

// A few real words with non-ASCII letters ("café", "Zürich") and their lower-case (GloVe) form.
// None starts with a non-ASCII letter, so lower-casing the first ASCII letter is enough to match
// GloVe.
struct AccentedWord {
  std::string_view text;
  std::string_view lower;
  bool proper;  // a proper noun: always capitalised in text
};
const std::vector<AccentedWord>& accented_words();

// The 18 MovieLens genres in u.item column order, without the leading "unknown".
const std::vector<std::string_view>& movie_genres();

// Upper-cases the first character when it is an ASCII letter (pseudo-words always are).
std::string capitalize(std::string_view word);

// A vector of `dim` values N(0, scale^2).
std::vector<float> gaussian_vector(Rng& rng, std::size_t dim, double scale);

// centre + N(0, noise^2) per coordinate: vectors of one topic cluster around its centroid, which is
// what lets embedding-based models pick the topic up.
std::vector<float> around(Rng& rng, const std::vector<float>& centre, double noise);

}  // namespace rsdist::synth
