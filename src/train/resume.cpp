#include "train/resume.hpp"

#include <regex>

#include "core/error.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::train {

std::string step_checkpoint_name(std::int64_t global_step) {
  return fmt::format("step-{:09d}", global_step);
}

std::optional<std::filesystem::path> find_resume_checkpoint(
    const std::filesystem::path& checkpoints_dir) {
  namespace fs = std::filesystem;
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

}  // namespace rsdist::train
