// The resume check of every gradient family under real mpirun (Note [Per-rank state in a
// checkpoint]): a run interrupted at an epoch boundary, and one stopped mid-epoch by SIGTERM (a step
// checkpoint, exit 75), each resumed with --resume, end with the uninterrupted run's epoch-2
// checkpoint, model and optimizer bit for bit, and its metrics.jsonl epoch lines.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "support/mpi_job.hpp"
#include "support/run_records.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::testing {

// `args(out, epochs)`: the family's `rsdist train` arguments. `stop_step`: rank 0 raises SIGTERM
// before its stop_step-th forward pass (RSDIST_FAULT, Note [Fault injection]), so the step
// checkpoint is taken after stop_step optimizer steps; choose it inside an epoch.
struct MpirunResume {
  std::string mpiexec, binary;
  int np = 2;
  std::function<std::vector<std::string>(const std::filesystem::path&, int)> args;
  int stop_step = 3;
};

namespace detail {

inline int resume_job(const MpirunResume& m, const std::filesystem::path& dir,
                      std::vector<std::string> args, const std::string& tag,
                      const std::string& env = "") {
  const std::string program = env.empty() ? m.binary : "env " + env + " " + m.binary;
  return run_mpi_job(m.mpiexec, m.np, program, args, dir / (tag + ".log"));
}

// The epoch lines of metrics.jsonl without what depends on the clock.
inline std::vector<nlohmann::json> timeless_epochs(const std::filesystem::path& run) {
  std::vector<nlohmann::json> out;
  for (nlohmann::json record : read_jsonl(run / "metrics.jsonl")) {
    if (record["kind"] != "epoch") continue;
    for (const char* key : {"train_seconds", "samples_per_second", "dev_seconds"}) record.erase(key);
    out.push_back(record);
  }
  return out;
}

inline void expect_same_final_state(const std::filesystem::path& a, const std::filesystem::path& b,
                                    const std::string& label) {
  const auto x = train::read_checkpoint(a / "checkpoints" / train::checkpoint_name(2));
  const auto y = train::read_checkpoint(b / "checkpoints" / train::checkpoint_name(2));
  ASSERT_EQ(x.model.size(), y.model.size()) << label;
  for (const auto& [name, tensor] : x.model) {
    EXPECT_TRUE(y.model.count(name) && tensor.equal(y.model.at(name))) << label << ": " << name;
  }
  ASSERT_EQ(x.optimizer.size(), y.optimizer.size()) << label;
  for (const auto& [name, tensors] : x.optimizer) {
    ASSERT_TRUE(y.optimizer.count(name)) << label << ": " << name;
    ASSERT_EQ(tensors.size(), y.optimizer.at(name).size()) << label << ": " << name;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      EXPECT_TRUE(tensors[i].equal(y.optimizer.at(name)[i])) << label << ": " << name;
    }
  }
  EXPECT_EQ(x.rng_states, y.rng_states) << label;
  EXPECT_EQ(timeless_epochs(a), timeless_epochs(b)) << label;
}

}  // namespace detail

// Runs the three jobs of each kind in dir/{whole,boundary,midway} and compares them.
inline void expect_mpirun_resume_is_exact(const MpirunResume& m, const std::filesystem::path& dir,
                                          const std::string& label) {
  using detail::resume_job;
  const auto whole = dir / "whole", boundary = dir / "boundary", midway = dir / "midway";
  std::filesystem::create_directories(dir);
  ASSERT_EQ(resume_job(m, dir, m.args(whole, 2), "whole"), 0) << read_file(dir / "whole.log");

  ASSERT_EQ(resume_job(m, dir, m.args(boundary, 1), "boundary1"), 0)
      << read_file(dir / "boundary1.log");
  ASSERT_EQ(resume_job(m, dir, with(m.args(boundary, 2), {"--resume"}), "boundary2"), 0)
      << read_file(dir / "boundary2.log");

  const std::string fault = "RSDIST_FAULT=forward:0:" + std::to_string(m.stop_step) + ":TERM";
  ASSERT_EQ(resume_job(m, dir, m.args(midway, 2), "midway1", fault), 75)
      << read_file(dir / "midway1.log");
  ASSERT_TRUE(std::filesystem::exists(midway / "checkpoints" /
                                      train::step_checkpoint_name(m.stop_step)))
      << read_file(dir / "midway1.log");
  ASSERT_EQ(resume_job(m, dir, with(m.args(midway, 2), {"--resume"}), "midway2"), 0)
      << read_file(dir / "midway2.log");
  EXPECT_NE(read_file(dir / "midway2.log").find("resumed from"), std::string::npos);

  detail::expect_same_final_state(whole, boundary, label + ", resumed at the epoch boundary");
  detail::expect_same_final_state(whole, midway, label + ", resumed from step " +
                                                     std::to_string(m.stop_step));
}

}  // namespace rsdist::testing
