// The run's metrics.jsonl: one JSON object per line, appended by rank 0 after each epoch's
// checkpoint is in place (so a resumed run never sees a line for an epoch it will redo), and after
// the final test evaluation. On resume the lines past the resumed epoch are dropped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace rsdist::train {

class MetricsLog {
 public:
  explicit MetricsLog(std::filesystem::path path) : path_(std::move(path)) {}
  const std::filesystem::path& path() const { return path_; }
  // Appends `record` as one line and flushes it to disk.
  void append(const nlohmann::ordered_json& record) const;
  // Keeps only the epoch records with "epoch" <= `epoch` (and drops other records), atomically.
  void truncate_after(std::int64_t epoch) const;

 private:
  std::filesystem::path path_;
};

}  // namespace rsdist::train
