// Which checkpoints a run directory holds and which one to use: resume, pruning, --init_from.
#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "core/error.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::train {
namespace fs = std::filesystem;

std::string step_checkpoint_name(std::int64_t global_step) {
  return fmt::format("step-{:09d}", global_step);
}

std::optional<fs::path> find_resume_checkpoint(const fs::path& checkpoints_dir) {
  if (!fs::is_directory(checkpoints_dir)) return std::nullopt;
  static const std::regex kName("^(epoch-[0-9]{4,}|step-[0-9]{9,})$");
  std::optional<fs::path> best;
  std::int64_t best_step = -1;
  bool best_is_epoch = false;
  for (const auto& entry : fs::directory_iterator(checkpoints_dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || entry.is_symlink() || !std::regex_match(name, kName)) continue;
    if (!fs::exists(entry.path() / "manifest.txt")) continue;  // not a complete checkpoint
    const std::int64_t step = read_checkpoint_progress(entry.path()).global_step;
    const bool is_epoch = name.rfind("epoch-", 0) == 0;
    if (step > best_step || (step == best_step && is_epoch && !best_is_epoch)) {
      best = entry.path();
      best_step = step;
      best_is_epoch = is_epoch;
    }
  }
  return best;
}

void prune_checkpoints(const fs::path& checkpoints_dir, std::int64_t keep,
                       std::int64_t keep_every) {
  std::vector<fs::path> epochs, steps;
  for (const auto& entry : fs::directory_iterator(checkpoints_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("epoch-", 0) == 0) epochs.push_back(entry.path());
    if (name.rfind("step-", 0) == 0) steps.push_back(entry.path());
  }
  std::sort(epochs.begin(), epochs.end());
  const auto best = resolve_best(checkpoints_dir);
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < epochs.size(); ++i) {
    if (best && fs::equivalent(*best, epochs[i])) continue;
    const std::int64_t epoch = epoch_number(epochs[i].filename().string());
    if (keep_every > 0 && epoch >= 0 && epoch % keep_every == 0) continue;
    fs::remove_all(epochs[i]);
  }
  for (const auto& s : steps) fs::remove_all(s);
}

fs::path checkpoint_of(const fs::path& path, const std::string& option) {
  if (fs::exists(path / "manifest.txt")) return path;
  const auto best = resolve_best(path / "checkpoints");
  RSDIST_CHECK(best.has_value(), "{} {}: no checkpoints/best (has the run finished an epoch?)",
               option, path.string());
  return *best;
}

}  // namespace rsdist::train
