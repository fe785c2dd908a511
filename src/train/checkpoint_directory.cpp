// Which checkpoints a run directory holds and which one to use: resume, pruning, --init_from.
#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <tuple>

#include "core/error.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::train {
namespace fs = std::filesystem;

std::string step_checkpoint_name(std::int64_t global_step) {
  return fmt::format("step-{:09d}", global_step);
}

std::optional<fs::path> find_resume_checkpoint(const fs::path& checkpoints_dir,
                                               std::vector<RefusedCheckpoint>* refused) {
  if (!fs::is_directory(checkpoints_dir)) return std::nullopt;
  static const std::regex kName("^(epoch-[0-9]{4,}|step-[0-9]{9,})$");
  struct Candidate {
    std::int64_t step;
    bool is_epoch;
    fs::path path;
  };
  std::vector<Candidate> candidates;
  std::vector<RefusedCheckpoint> passed_over;
  for (const auto& entry : fs::directory_iterator(checkpoints_dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || entry.is_symlink() || !std::regex_match(name, kName)) continue;
    try {  // the step count, from state.pt verified alone (cheap)
      candidates.push_back({read_checkpoint_progress(entry.path()).global_step,
                            name.rfind("epoch-", 0) == 0, entry.path()});
    } catch (const Error& e) {
      passed_over.push_back({entry.path(), e.message()});
    }
  }
  // Newest first: most steps, the end-of-epoch checkpoint before a step one at equal steps.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.step, a.is_epoch, a.path) > std::tie(b.step, b.is_epoch, b.path);
  });
  std::optional<fs::path> chosen;
  for (const Candidate& c : candidates) {
    try {
      verify_checkpoint(c.path);
      chosen = c.path;
      break;
    } catch (const Error& e) {
      passed_over.push_back({c.path, e.message()});
    }
  }
  if (refused) refused->insert(refused->end(), passed_over.begin(), passed_over.end());
  return chosen;
}

std::vector<std::string> remove_staging_leftovers(const fs::path& checkpoints_dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  if (!fs::is_directory(checkpoints_dir, ec)) return removed;
  // core/staging.hpp's ".NAME.tmp-<pid>-<n>" and ".NAME.old-<pid>-<n>"; promote_best's
  // ".best.tmp-<pid>-<n>".
  static const std::regex kLeftover("^\\..+\\.(tmp|old)-[0-9]+-[0-9]+$");
  for (const auto& entry : fs::directory_iterator(checkpoints_dir)) {
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, kLeftover)) continue;
    fs::remove_all(entry.path(), ec);
    RSDIST_CHECK(!ec, "cannot remove '{}', left by an interrupted checkpoint write: {}",
                 entry.path().string(), ec.message());
    removed.push_back(name);
  }
  std::sort(removed.begin(), removed.end());
  return removed;
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
