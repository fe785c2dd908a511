// Deterministic synthetic data sets in the exact on-disk formats of the real ones: MIND (news
// recommendation), GCL4SR/S3Rec (sequential recommendation) and MovieLens (ratings).
//
// Why synthetic: the real MIND-small, GloVe and MovieLens-1M files cannot be shipped, yet the
// pipeline, its tests and its benchmarks need data of the right shape and size, with a signal that
// a model can learn. Each generator plants a simple, known structure (topics, clusters, genres), so
// a test can check that a content-aware scorer beats a popularity scorer, which beats chance.
//
// Every random draw comes from rsdist::Rng streams derived from the seed, so the same options give
// byte-identical files on any platform. The write_* functions validate their options first
// (throwing rsdist::Error naming the command-line option) and write into an existing, empty
// directory; staging and the atomic rename are the caller's job.
#pragma once

#include <cstdint>
#include <filesystem>

namespace rsdist::synth {

// ---- MIND -------------------------------------------------------------------------------------
// Writes dir/{train,dev,test}/{news.tsv,behaviors.tsv,entity_embedding.vec} and dir/glove.txt.
struct MindOptions {
  std::uint64_t seed = 1;
  std::int64_t news = 2000;  // distinct news articles in total
  std::int64_t users = 500;
  std::int64_t train_impressions = 2000;
  std::int64_t dev_impressions = 500;
  std::int64_t test_impressions = 500;
  std::int64_t topics = 8;        // categories, at most max_mind_topics()
  std::int64_t word_dim = 50;     // glove.txt vector size
  std::int64_t entity_dim = 100;  // entity_embedding.vec vector size
};

struct MindSummary {
  std::int64_t news = 0;   // distinct news written (union over the splits)
  std::int64_t users = 0;  // distinct users in the behaviors files
  std::int64_t train_impressions = 0;
  std::int64_t dev_impressions = 0;
  std::int64_t test_impressions = 0;
  std::int64_t words = 0;     // lines of glove.txt
  std::int64_t entities = 0;  // distinct entities over the splits' entity_embedding.vec
};

// The number of built-in category names (the upper bound of MindOptions::topics).
std::int64_t max_mind_topics();

void validate(const MindOptions& options);
MindSummary write_mind(const MindOptions& options, const std::filesystem::path& dir);

// ---- Sequences (GCL4SR / S3Rec)
// ------------------------------------------------------------------ Writes dir/sequences.txt
// (`user item1,item2,...`, users 0..U-1), dir/sequences_s3rec.txt
// (`user item item ...`, users 1..U) and dir/item2attributes.json. Items are 1..N, numbered by
// first appearance as in the published files.
struct SeqOptions {
  std::uint64_t seed = 1;
  std::int64_t users = 1000;
  std::int64_t items = 500;
  std::int64_t clusters = 10;
  std::int64_t min_length = 5;
  std::int64_t max_length = 30;
  std::int64_t attributes = 40;
};

struct SeqSummary {
  std::int64_t users = 0;
  std::int64_t items = 0;
  std::int64_t interactions = 0;
};

void validate(const SeqOptions& options);
SeqSummary write_seq(const SeqOptions& options, const std::filesystem::path& dir);

// ---- Ratings (MovieLens) ---------------------------------------------------------------------
// Writes dir/u.data and dir/u.item (MovieLens-100K formats) and dir/ratings.dat (MovieLens-1M
// format) holding the same ratings.
struct RatingsOptions {
  std::uint64_t seed = 1;
  std::int64_t users = 300;
  std::int64_t items = 400;
  std::int64_t genres = 8;  // genres in use, at most 18 (the MovieLens genres, "unknown" excluded)
  std::int64_t min_ratings_per_user = 20;
  std::int64_t max_ratings_per_user = 80;
};

struct RatingsSummary {
  std::int64_t users = 0;
  std::int64_t items = 0;
  std::int64_t ratings = 0;
};

void validate(const RatingsOptions& options);
RatingsSummary write_ratings(const RatingsOptions& options, const std::filesystem::path& dir);

}  // namespace rsdist::synth
