// What every loader reads first from a MIND corpus directory: the manifest's counts (a corpus is
// complete iff manifest.json exists) and corpus files opened with their `kind` and schema checked,
// so that a wrong or stale directory fails with its path instead of a missing dataset later.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/hdf5/file.hpp"

namespace rsdist::loader {

struct MindCounts {
  std::int64_t news = 0;  // <PAD> included
  std::int64_t categories = 0;
  std::int64_t subcategories = 0;
  std::vector<std::int64_t> train_shard_samples;  // samples per train shard, in shard order
};

// DIR/manifest.json of a "mind" corpus of the schema this build reads.
MindCounts read_mind_counts(const std::filesystem::path& corpus_dir);

// Opens `path` read-only and checks its root attributes `kind` (e.g. "mind_news") and
// `schema_version`.
h5::File open_corpus_file(const std::filesystem::path& path, const std::string& kind);

}  // namespace rsdist::loader
