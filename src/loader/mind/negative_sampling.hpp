// Negative sampling for click-through training, as NNR's MIND_Train_Dataset.negative_sampling:
// a sample's candidates are its click followed by `negative_sample_num` (K) news the user saw and
// did not click, drawn anew every epoch.
//
// For an impression with n non-clicked news:
//  * n > K:  K distinct positions drawn uniformly without replacement (rejection of repeats, as the
//            reference's randint loop; the draws are in order, so the negatives' order is uniform
//            too);
//  * 1 <= n <= K:  negatives[j % n] for j < K (wrap-around, every negative used, no randomness);
//  * n == 0:  the reference divides by zero here. rsdist draws the K negatives from every news of
//            the train split (news/split == 0) except <PAD> and the click itself, by the same rule
//            (distinct when the pool is large enough, wrap-around otherwise). Impressions without
//            a non-click are rare (a few in MIND), and "any other train news" is the usual
//            random-negative fallback.
//
// Seeding: each sample's draws come from Rng::stream(seed, {stream, epoch, global sample id}). The
// reference seeds one generator per rank and walks its samples in order, so its negatives change
// with the number of ranks and the data order; here a sample's negatives depend only on (seed,
// epoch, sample), whatever the world size, thread count or batch composition, which keeps runs on
// different world sizes comparable and CPU runs reproducible bit for bit.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rsdist::loader {

class NegativeSampler {
 public:
  // `fallback_news`: the pool for impressions without non-clicked news (NewsTable::train_news()).
  NegativeSampler(std::int32_t negative_sample_num, std::uint64_t seed,
                  std::vector<std::int32_t> fallback_news);

  std::int32_t negative_sample_num() const { return negative_sample_num_; }

  // Writes the 1 + K candidates of one sample: `positive`, then K negatives drawn from
  // `negatives` (the impression's non-clicked news) as described above. Thread-safe (const).
  void candidates(std::int64_t epoch, std::int64_t sample_id, std::int32_t positive,
                  std::span<const std::int32_t> negatives, std::span<std::int64_t> out) const;

 private:
  std::int32_t negative_sample_num_;
  std::uint64_t seed_;
  std::vector<std::int32_t> fallback_news_;
};

}  // namespace rsdist::loader
