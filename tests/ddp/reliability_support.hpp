// What the fault tests (reliability_*_test.cpp) share: the probe job under mpirun with a fault
// injected (Note [Fault injection]), its timing from the fault to the job's end, checks of a run
// directory's checkpoints, and the row each test adds to the fault table (docs/reliability.md,
// rendered by scripts/reliability_table.py from $RSDIST_RELIABILITY_OUT/faults.jsonl).
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::testing {

namespace fs = std::filesystem;

inline double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Job {
  int exit_code = -1;
  double seconds = 0;                         // the whole job
  std::optional<double> seconds_after_fault;  // from the fault's marker to the job's end
  std::string output;
};

// The probe's corpus is only a manifest: its data come from the options.
inline fs::path probe_corpus(const TempDir& tmp) {
  const fs::path dir = tmp / "corpus";
  if (!fs::exists(dir / data::kManifestFileName)) {
    fs::create_directories(dir);
    data::CorpusManifest manifest;
    manifest.kind = "probe";
    data::write_corpus_manifest(dir, manifest);
  }
  return dir;
}

// `mpirun --oversubscribe` (as root with --allow-run-as-root), shell text.
inline std::string mpirun() {
  return fmt::format("{} {} --oversubscribe -x RSDIST_FAULT", RSDIST_MPIEXEC,
                     ::geteuid() == 0 ? "--allow-run-as-root" : "");
}

// Runs shell `command` with its output in a log, and RSDIST_FAULT=`fault`:<marker> in its
// environment (empty when `fault` is).
inline Job run_command(const TempDir& tmp, const std::string& command,
                       const std::string& fault = "") {
  static int jobs = 0;
  const std::string name = fmt::format("job-{}", ++jobs);
  const fs::path log = tmp / (name + ".log"), marker = tmp / (name + ".fault");
  // Empty for no fault (so that `mpirun -x` finds it).
  const std::string environment =
      fault.empty() ? "RSDIST_FAULT= "
                    : fmt::format("RSDIST_FAULT='{}:{}' ", fault, marker.string());
  const double start = steady_seconds();
  const int status =
      std::system(fmt::format("{}{} > '{}' 2>&1", environment, command, log.string()).c_str());
  const double end = steady_seconds();
  Job job;
  job.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  job.seconds = end - start;
  double fired = 0;
  if (std::ifstream in(marker); in >> fired) job.seconds_after_fault = end - fired;
  job.output = read_file(log);
  return job;
}

// `mpirun -np np rsdist_probe <args>`, RSDIST_FAULT exported to every rank.
inline Job run_job(const TempDir& tmp, int np, const std::string& args,
                   const std::string& fault = "") {
  return run_command(tmp, fmt::format("{} -np {} {} {}", mpirun(), np, RSDIST_PROBE, args), fault);
}

// `rsdist_probe train --model probe` arguments before `extra`.
inline std::string probe_args(const TempDir& tmp, const fs::path& run, const std::string& extra) {
  return fmt::format("train --model probe --corpus {} --out {} --seed 3 {}",
                     probe_corpus(tmp).string(), run.string(), extra);
}

// Whether any process started with `--probe_tag tag` is still alive. The pattern brackets the
// tag's first letter so that it does not match the shell running pgrep itself.
inline bool processes_left(const std::string& tag) {
  const std::string pattern = "--probe_tag [" + tag.substr(0, 1) + "]" + tag.substr(1);
  return std::system(("pgrep -f -- '" + pattern + "' > /dev/null").c_str()) == 0;
}

// A tag unique to this test and process.
inline std::string unique_tag(const std::string& what) {
  return what + "-" + std::to_string(::getpid());
}

// "" when `checkpoint` verifies, else the error.
inline std::string verification_error(const fs::path& checkpoint) {
  try {
    train::verify_checkpoint(checkpoint);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

// Every checkpoint directory a reader could take for one (not hidden) verifies, and `best`
// resolves to one of them. Returns the name `best` points at ("" when there is none).
inline std::string expect_checkpoints_complete(const fs::path& run) {
  const fs::path dir = run / "checkpoints";
  if (!fs::exists(dir)) return "";
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.front() == '.' || name == "best") continue;  // staging leftovers are hidden
    EXPECT_EQ(verification_error(entry.path()), "") << name;
  }
  const auto best = train::resolve_best(dir);
  if (!best) return "";
  EXPECT_EQ(verification_error(*best), "");
  return best->filename().string();
}

// Hidden staging leftovers in `run`/checkpoints (what a killed writer leaves).
inline int staging_leftovers(const fs::path& run) {
  int n = 0;
  if (!fs::exists(run / "checkpoints")) return 0;
  for (const auto& entry : fs::directory_iterator(run / "checkpoints")) {
    if (entry.path().filename().string().rfind(".best", 0) != 0 &&
        entry.path().filename().string().front() == '.') {
      ++n;
    }
  }
  return n;
}

// A test of one fault: its row of the fault table, written when the test ends with its outcome.
class FaultTest : public ::testing::Test {
 protected:
  struct Row {
    std::string fault, injected, checked, figure;
    std::optional<double> seconds;
    std::optional<int> exit_code;
  };

  void TearDown() override {
    const char* out = std::getenv("RSDIST_RELIABILITY_OUT");
    const fs::path dir = out != nullptr && *out != '\0' ? fs::path(out) : tmp.path();
    fs::create_directories(dir);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    nlohmann::ordered_json line = {
        {"fault", row.fault},
        {"injected", row.injected},
        {"checked", row.checked},
        {"figure", row.figure},
        {"seconds", row.seconds ? nlohmann::json(*row.seconds) : nlohmann::json()},
        {"exit", row.exit_code ? nlohmann::json(*row.exit_code) : nlohmann::json()},
        {"result", IsSkipped()    ? "skipped"
                   : HasFailure() ? "failed"
                                  : "passed"},
        {"test", std::string(info->test_suite_name()) + "." + info->name()}};
    std::ofstream(dir / "faults.jsonl", std::ios::app) << line.dump() << "\n";
  }

  TempDir tmp;
  Row row;
};

}  // namespace rsdist::testing
