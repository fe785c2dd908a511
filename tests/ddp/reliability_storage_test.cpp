// The fault table's storage faults (docs/reliability.md): the file system filling up during a
// checkpoint write, checkpoints damaged on disk, and a damaged corpus shard. Each runs the real
// trainer (rsdist_probe: the rsdist binary with the probe family) under mpirun and records its row
// with the figure it measured.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "app/cli_runner.hpp"
#include "reliability_support.hpp"

namespace rsdist::testing {
namespace {

// The first line of `output` holding `text` ("" when none).
std::string line_with(const std::string& output, const std::string& text) {
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.find(text) != std::string::npos) return line;
  }
  return "";
}

// `text` with each `path` replaced by `name`: the table shows <out> rather than a temporary path.
std::string shown(std::string text, const fs::path& path, const std::string& name) {
  for (std::size_t at = text.find(path.string()); at != std::string::npos;
       at = text.find(path.string(), at + name.size())) {
    text.replace(at, path.string().size(), name);
  }
  return text;
}

// A small tmpfs mounted at `dir` while the object lives (root with CAP_SYS_ADMIN only).
class SmallFileSystem {
 public:
  SmallFileSystem(const fs::path& dir, const std::string& size) : dir_(dir) {
    fs::create_directories(dir);
    if (::mount("rsdist-test", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                ("size=" + size).c_str()) == 0) {
      mounted_ = true;
    } else {
      why_not_ = std::strerror(errno);
    }
  }
  ~SmallFileSystem() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallFileSystem(const SmallFileSystem&) = delete;
  SmallFileSystem& operator=(const SmallFileSystem&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_not_; }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string why_not_;
};

// Fills the file system holding `filler` until a write fails, then frees `headroom` bytes of it.
void fill_leaving(const fs::path& filler, std::uintmax_t headroom) {
  const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const std::string block(64 * 1024, 'x');
  std::uintmax_t written = 0;
  for (;;) {
    const ssize_t n = ::write(fd, block.data(), block.size());
    if (n <= 0) break;
    written += static_cast<std::uintmax_t>(n);
  }
  ASSERT_GT(written, headroom);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(written - headroom)), 0);
  ::close(fd);
}

// Bytes a file, or a directory's files, take in whole 4 KiB pages (what tmpfs charges).
std::uintmax_t pages_of(const fs::path& path) {
  const auto pages = [](std::uintmax_t size) { return (size + 4095) / 4096 * 4096; };
  if (fs::is_regular_file(path)) return pages(fs::file_size(path));
  std::uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(path)) {
    if (e.is_regular_file()) bytes += pages(e.file_size());
  }
  return bytes;
}

// A wide probe (hidden 1024: model.pt ~50 KB, optimizer.pt ~100 KB), so that a checkpoint is far
// larger than anything else a run writes.
constexpr const char* kWide = "--batch_size 4 --probe_hidden 1024 --keep_checkpoints 3";

using DiskFull = FaultTest;

TEST_F(DiskFull, DuringACheckpointWriteIsAClearErrorAndBestStaysThePreviousOne) {
  row.fault = "file system full during a checkpoint write";
  row.checked =
      "exit non-zero with an error naming the file and the system's reason; `best` "
      "still epoch-0001 and verifies; no epoch-0002, no staging leftover; metrics.jsonl "
      "without epoch 2; `--resume` completes once there is room";
  const fs::path mount_point = tmp / "fs";
  const bool forced_ulimit = std::getenv("RSDIST_TEST_DISK_FULL") != nullptr &&
                             std::string(std::getenv("RSDIST_TEST_DISK_FULL")) == "ulimit";
  std::optional<SmallFileSystem> small;
  if (!forced_ulimit) small.emplace(mount_point, "4m");
  const bool tmpfs = small && small->mounted();
  const fs::path run = (tmpfs ? mount_point : tmp.path()) / "run";
  // Without a mount: one process (an MPI job's shared-memory files would hit the limit too) under
  // `ulimit -f 40` with SIGXFSZ ignored, so that a write past 40 KiB fails with EFBIG.
  const auto job = [&](const std::string& extra, bool limited) {
    const std::string args = probe_args(tmp, run, std::string(kWide) + " " + extra);
    if (tmpfs) return run_job(tmp, 2, args);
    const std::string command = fmt::format("{} {}", RSDIST_PROBE, args);
    return run_command(
        tmp, limited ? "bash -c 'ulimit -f 40; trap \"\" XFSZ; exec " + command + "'" : command);
  };
  row.injected = tmpfs ? "run directory on a 4 MiB tmpfs, filled before the resumed run's epoch-2 "
                         "checkpoint to leave twice config.ini + 8 KiB free (np=2)"
                       : "`ulimit -f 40` (SIGXFSZ ignored) around the run resumed before the "
                         "epoch-2 checkpoint (one process; no tmpfs: " +
                             (small ? small->why_not() : std::string("forced")) + ")";

  const Job first = job("--epochs 1", false);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const std::uintmax_t checkpoint = pages_of(run / "checkpoints" / "epoch-0001");
  if (tmpfs) {
    const std::uintmax_t headroom = 2 * pages_of(run / "config.ini") + 8192;
    ASSERT_GT(checkpoint, headroom + 16384) << "a checkpoint must not fit in the headroom";
    fill_leaving(mount_point / "filler", headroom);
  }
  const Job full = job("--epochs 2 --resume", true);
  row.exit_code = full.exit_code;
  row.seconds = full.seconds;
  EXPECT_NE(full.exit_code, 0) << full.output;
  const std::string reason = tmpfs ? "No space left on device" : "File too large";
  const std::string error = line_with(
      full.output, "cannot write '" + (run / "checkpoints" / ".epoch-0002.tmp-").string());
  EXPECT_NE(error.find(reason), std::string::npos) << full.output;
  EXPECT_EQ(expect_checkpoints_complete(run), "epoch-0001");
  EXPECT_FALSE(fs::exists(run / "checkpoints" / "epoch-0002"));
  EXPECT_EQ(staging_leftovers(run), 0);
  EXPECT_EQ(read_file(run / "metrics.jsonl").find("\"epoch\":2"), std::string::npos);

  if (tmpfs) fs::remove(mount_point / "filler");
  const Job resumed = job("--epochs 2 --resume", false);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(expect_checkpoints_complete(run), "epoch-0002");
  row.figure = fmt::format(
      "exit {} after {:.2f} s: \"{}\" (a checkpoint takes {} KiB)", full.exit_code, full.seconds,
      shown(error.substr(error.find("cannot write")), run, "<out>"), checkpoint / 1024);
}

// --- Checkpoints damaged on disk ---------------------------------------------------------------

struct Damage {
  std::string name;   // the test's name
  std::string what;   // for the table
  std::string file;   // of epoch-0003
  std::string named;  // what the refusal says
  std::function<void(const fs::path&)> apply;
};

std::ostream& operator<<(std::ostream& out, const Damage& d) { return out << d.name; }

class DamagedCheckpoint : public FaultTest, public ::testing::WithParamInterface<Damage> {};

TEST_P(DamagedCheckpoint, IsRefusedNamingTheFileAndResumeFallsBackToOneThatVerifies) {
  const Damage& damage = GetParam();
  row.fault = "corrupted checkpoint: " + damage.what;
  row.injected = "`epoch-0003/" + damage.file + "`: " + damage.what + ", then `--resume` (np=2)";
  row.checked =
      "epoch-0003 refused naming the file; resumed from epoch-0002 (logged); the run "
      "completes with every checkpoint verifying";
  const fs::path run = tmp / "run";
  const std::string args = "--batch_size 4 --epochs 3 --keep_checkpoints 3";
  ASSERT_EQ(run_job(tmp, 2, probe_args(tmp, run, args)).exit_code, 0);
  const fs::path damaged = run / "checkpoints" / "epoch-0003";
  damage.apply(damaged / damage.file);

  const Job resumed = run_job(tmp, 2, probe_args(tmp, run, args + " --resume"));
  row.exit_code = resumed.exit_code;
  row.seconds = resumed.seconds;
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  const std::string refusal = line_with(resumed.output, "--resume: not resuming from");
  EXPECT_NE(refusal.find(damaged.string()), std::string::npos) << resumed.output;
  EXPECT_NE(refusal.find(damage.named), std::string::npos) << resumed.output;
  const fs::path fallback = run / "checkpoints" / "epoch-0002";
  EXPECT_NE(resumed.output.find("--resume: falling back to " + fallback.string() +
                                ", the newest checkpoint that verifies"),
            std::string::npos)
      << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from " + fallback.string()), std::string::npos);
  EXPECT_NE(resumed.output.find("done: 36 steps"), std::string::npos) << resumed.output;
  EXPECT_NE(expect_checkpoints_complete(run), "");  // epoch-0003 written again, whole
  row.figure = fmt::format("refused: \"{}\"; resumed from epoch-0002, done in {:.1f} s",
                           shown(refusal.substr(refusal.find("checkpoint '")), run, "<out>"),
                           resumed.seconds);
}

void flip_byte(const fs::path& file) {
  std::string bytes = read_file(file);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

INSTANTIATE_TEST_SUITE_P(
    Reliability, DamagedCheckpoint,
    ::testing::Values(Damage{"FlippedByte", "a flipped bit", "model.pt",
                             "file model.pt has SHA-256", flip_byte},
                      Damage{"TruncatedFile", "cut to half", "optimizer.pt", "(truncated?)",
                             [](const fs::path& f) { fs::resize_file(f, fs::file_size(f) / 2); }},
                      Damage{"MissingFile", "deleted", "metrics.json",
                             "file metrics.json is listed in manifest.txt but missing",
                             [](const fs::path& f) { fs::remove(f); }},
                      Damage{"ManifestEdited", "with config.ini's recorded SHA-256 edited",
                             "manifest.txt", "file config.ini has SHA-256",
                             [](const fs::path& f) {
                               std::string text = read_file(f);
                               const std::size_t digest =
                                   text.find(' ', text.find("file config.ini ") + 16);
                               text[digest + 1] = text[digest + 1] == '0' ? '1' : '0';
                               std::ofstream(f, std::ios::binary | std::ios::trunc) << text;
                             }}),
    [](const ::testing::TestParamInfo<Damage>& info) { return info.param.name; });

// Not a row of the table: when no checkpoint verifies, --resume stops instead of starting over.
TEST(DamagedCheckpoints, OfWhichNoneVerifiesStopTheResume) {
  TempDir tmp;
  const fs::path run = tmp / "run";
  const std::string args = probe_args(tmp, run, "--batch_size 4 --epochs 2");
  ASSERT_EQ(run_command(tmp, fmt::format("{} {}", RSDIST_PROBE, args)).exit_code, 0);
  for (const char* name : {"epoch-0001", "epoch-0002"}) {
    if (fs::exists(run / "checkpoints" / name)) flip_byte(run / "checkpoints" / name / "model.pt");
  }
  const Job resumed = run_command(tmp, fmt::format("{} {} --resume", RSDIST_PROBE, args));
  EXPECT_EQ(resumed.exit_code, 1) << resumed.output;
  EXPECT_NE(resumed.output.find("--resume: no checkpoint in " + (run / "checkpoints").string() +
                                " verifies"),
            std::string::npos)
      << resumed.output;
  EXPECT_EQ(resumed.output.find("epoch 1:"), std::string::npos) << resumed.output;
}

// --- A damaged corpus shard ---------------------------------------------------------------------

struct ShardDamage {
  std::string name, what, named;
  std::function<void(const fs::path&)> apply;
};

std::ostream& operator<<(std::ostream& out, const ShardDamage& d) { return out << d.name; }

class DamagedCorpusShard : public FaultTest, public ::testing::WithParamInterface<ShardDamage> {};

TEST_P(DamagedCorpusShard, IsNamedBeforeTrainingStarts) {
  const ShardDamage& damage = GetParam();
  row.fault = "corpus shard (HDF5) " + damage.what;
  row.injected = "train-00001-of-00002.h5 of a synthetic MIND corpus " + damage.what +
                 "; `mpirun -np 2 rsdist train --model naml`";
  row.checked =
      "exit non-zero with an error naming the file, before any step (no checkpoints "
      "directory, no epoch logged)";
  const fs::path raw = tmp / "raw", corpus = tmp / "corpus-mind", run = tmp / "run";
  CliResult r =
      run_rsdist({"synth", "mind", "--preset", "small", "--out", raw.string(), "--seed", "5"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_rsdist({"preprocess", "mind", "--train", (raw / "train").string(), "--dev",
                  (raw / "dev").string(), "--glove", (raw / "glove.txt").string(), "--out",
                  corpus.string(), "--shards", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path shard = corpus / "train-00001-of-00002.h5";
  ASSERT_TRUE(fs::exists(shard));
  damage.apply(shard);

  const Job job =
      run_job(tmp, 2,
              fmt::format("train --model naml --corpus {} --out {} --epochs 1 "
                          "--batch_size 16 --max_steps_per_epoch 2 --max_title_length 12 "
                          "--max_abstract_length 16 --max_history_num 10",
                          corpus.string(), run.string()));
  row.exit_code = job.exit_code;
  row.seconds = job.seconds;
  EXPECT_NE(job.exit_code, 0) << job.output;
  const std::string error = line_with(job.output, "corpus file " + shard.string());
  EXPECT_NE(error.find(damage.named), std::string::npos) << job.output;
  EXPECT_FALSE(fs::exists(run / "checkpoints"));
  EXPECT_EQ(job.output.find("epoch 1:"), std::string::npos) << job.output;
  row.figure =
      fmt::format("exit {} after {:.2f} s, before any step: \"{}\"", job.exit_code, job.seconds,
                  shown(error.substr(error.find("corpus file")), corpus, "<corpus>"));
}

INSTANTIATE_TEST_SUITE_P(
    Reliability, DamagedCorpusShard,
    ::testing::Values(ShardDamage{"Truncated", "truncated to a third", "(truncated?)",
                                  [](const fs::path& f) {
                                    fs::resize_file(f, fs::file_size(f) / 3);
                                  }},
                      ShardDamage{"FlippedByte", "with one bit flipped", "has SHA-256", flip_byte}),
    [](const ::testing::TestParamInfo<ShardDamage>& info) { return info.param.name; });

}  // namespace
}  // namespace rsdist::testing
