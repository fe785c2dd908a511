// Which checkpoint a resumed run continues from.
//
// Two kinds of checkpoints live in `<run>/checkpoints/`: `epoch-NNNN` at the end of an epoch, and
// `step-NNNNNNNNN` written when a stop signal (SIGTERM, Slurm's SIGUSR1) interrupted an epoch. A
// resume takes the complete one with the most optimizer steps; at equal steps the end-of-epoch
// checkpoint wins.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace rsdist::train {

std::string step_checkpoint_name(std::int64_t global_step);

std::optional<std::filesystem::path> find_resume_checkpoint(
    const std::filesystem::path& checkpoints_dir);

}  // namespace rsdist::train
