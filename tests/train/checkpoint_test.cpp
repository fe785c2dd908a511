#include "train/checkpoint.hpp"

#include <ATen/ATen.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "support/error_of.hpp"
#include "support/python_runner.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint_manifest.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

// ---- helpers ----------------------------------------------------------------------------------

std::string tensor_bytes(const at::Tensor& t) {
  const at::Tensor c = t.detach().cpu().contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.nbytes());
}

// Bit-exact: dtype, shape, and bytes (so NaN payloads and -0.0 count).
void expect_same_tensor(const at::Tensor& expected, const at::Tensor& actual,
                        const std::string& name) {
  ASSERT_TRUE(actual.defined()) << name;
  EXPECT_EQ(actual.scalar_type(), expected.scalar_type()) << name;
  EXPECT_EQ(actual.sizes(), expected.sizes()) << name;
  EXPECT_TRUE(actual.is_contiguous()) << name;
  EXPECT_EQ(actual.device(), at::Device(at::kCPU)) << name;
  EXPECT_FALSE(actual.requires_grad()) << name;
  EXPECT_EQ(tensor_bytes(actual), tensor_bytes(expected)) << name;
}

std::map<std::string, at::Tensor> sample_tensors() {
  std::map<std::string, at::Tensor> t;
  t["dense.weight"] = at::arange(12, at::kFloat).reshape({3, 4}).mul_(0.1);
  // Special values: NaN, infinities, signed zero, a denormal.
  t["special"] = at::tensor({std::numeric_limits<float>::quiet_NaN(),
                             std::numeric_limits<float>::infinity(), -0.0f, 1e-40f});
  t["double"] = at::arange(5, at::kDouble).div_(3.0);
  t["half"] = at::arange(6, at::kFloat).div_(7.0).to(at::kHalf);
  t["bfloat16"] = at::arange(6, at::kFloat).div_(7.0).to(at::kBFloat16);
  t["int64"] = at::tensor({std::numeric_limits<std::int64_t>::min(), std::int64_t{-1},
                           std::numeric_limits<std::int64_t>::max()});
  t["int32"] = at::arange(-3, 3, at::kInt);
  t["int8"] = at::arange(-4, 4, at::kChar);
  t["uint8"] = at::arange(250, 256, at::kLong).to(at::kByte);
  t["bool"] = at::tensor({1, 0, 1}, at::kInt).to(at::kBool);
  t["scalar"] = at::scalar_tensor(42.5, at::kFloat);  // 0-dim, like Adam's step
  t["empty"] = at::empty({0, 3}, at::kFloat);
  // Non-contiguous inputs are saved contiguous.
  t["transposed"] = at::arange(6, at::kFloat).reshape({2, 3}).t();
  t["strided"] = at::arange(20, at::kLong).slice(0, 1, 20, 3);
  // A contiguous view into a larger storage (with an offset): only its own elements are saved.
  t["offset_view"] = at::arange(100, at::kFloat).slice(0, 10, 14);
  t["needs_grad"] = at::ones({2}, at::kFloat).requires_grad_(true);
  return t;
}

CheckpointState sample_state() {
  CheckpointState s;
  s.model = sample_tensors();
  s.optimizer["state.dense.weight.exp_avg"] = {at::full({3, 4}, 0.25, at::kFloat)};
  s.optimizer["state.dense.weight.exp_avg_sq"] = {at::full({3, 4}, 1e-8, at::kFloat)};
  s.optimizer["state.dense.weight.step"] = {at::scalar_tensor(17.0, at::kFloat)};
  s.optimizer["param_groups.0"] = {at::tensor({1e-3, 0.9, 0.999}, at::kDouble),
                                   at::arange(4, at::kLong).reshape({2, 2}).t()};
  s.optimizer["empty_list"] = {};
  s.task["ema_loss"] = at::scalar_tensor(0.125, at::kDouble);
  s.task["counts"] = at::arange(5, at::kLong);
  s.sampler = {3, 17};
  s.rng_states["cpu"] = std::string("\x00\x01\xff\x7f rng \x00", 10);
  s.rng_states["dropout"] = std::string(5000, '\xab');
  s.rng_states["empty"] = "";
  s.epoch = 3;
  s.global_step = 123456789012;
  s.config_ini = "[run]\nseed = 7\n[model]\nname = naml\n";
  s.metrics_json = R"({"epoch": 3, "valid_auc": 0.71})";
  s.int_metadata["world_size"] = 4;
  s.int_metadata["negative"] = -5;
  s.int_metadata["big"] = std::numeric_limits<std::int64_t>::max();
  s.string_metadata["git"] = "cf5e1f0";
  s.string_metadata["host"] = "node-01 (ünïcode)";
  s.string_metadata["empty"] = "";
  return s;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

using rsdist::testing::error_of;

void flip_byte(const fs::path& file, std::uintmax_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x01));
}

// ---- write / read -----------------------------------------------------------------------------

TEST(Checkpoint, ACheckpointWithoutTaskStateReadsAsEmptyTaskState) {
  // Checkpoints of builds before task state have no task.pt in their manifest.
  TempDir tmp;
  CheckpointState in = sample_state();
  in.task.clear();
  const fs::path dir = write_checkpoint(tmp / "checkpoints", "epoch-0001", in);
  fs::remove(dir / "task.pt");
  std::vector<ManifestEntry> entries = read_manifest(dir);
  std::erase_if(entries, [](const ManifestEntry& e) { return e.name == "task.pt"; });
  ASSERT_EQ(entries.size(), 5u);
  std::ofstream(dir / "manifest.txt", std::ios::trunc) << manifest_text(entries);
  EXPECT_TRUE(read_checkpoint(dir).task.empty());
  EXPECT_TRUE(read_checkpoint_model(dir).task.empty());
  EXPECT_EQ(read_checkpoint(dir).model.size(), in.model.size());
}

// Note [Sharded tables in a checkpoint]: a table of 10 rows saved by 3 ranks reads back on 2
// ranks (and whole on 1) as the cyclic rows of the logical table, scalars once; a damaged shard is
// refused naming its file.
TEST(Checkpoint, TableShardsOfThreeRanksReadOnTwoAndOnOne) {
  TempDir tmp;
  const at::Tensor table = at::arange(30, at::kFloat).reshape({10, 3});
  const at::Tensor moment = table * 2;
  CheckpointState state = sample_state();
  for (int r = 0; r < 3; ++r) {
    state.extra_files.push_back(write_table_shard(
        tmp / "shards", r, 3, 10,
        {{"model/items.weight", table.slice(0, r, 10, 3)},
         {"optimizer/state.items.weight.exp_avg", moment.slice(0, r, 10, 3)},
         {"optimizer/state.items.weight.step", at::scalar_tensor(7.0, at::kDouble)}}));
  }
  const fs::path dir = write_checkpoint(tmp / "checkpoints", "epoch-0001", state);
  EXPECT_FALSE(fs::exists(tmp / "shards" / table_shard_name(0, 3)));  // moved in
  verify_checkpoint(dir);
  for (int r = 0; r < 2; ++r) {
    const CheckpointState two = read_checkpoint(dir, r, 2);
    EXPECT_TRUE(two.model.at("items.weight").equal(table.slice(0, r, 10, 2))) << r;
    EXPECT_TRUE(two.optimizer.at("state.items.weight.exp_avg").front().equal(
        moment.slice(0, r, 10, 2)));
    EXPECT_EQ(two.optimizer.at("state.items.weight.step").front().item<double>(), 7.0);

  }
  EXPECT_TRUE(read_checkpoint_model(dir).model.at("items.weight").equal(table));
  EXPECT_TRUE(read_checkpoint_model(dir).optimizer.empty());

  {  // a flipped byte in the last shard
    std::fstream f(dir / table_shard_name(2, 3), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  try {
    read_checkpoint_model(dir, 0, 2);
    FAIL() << "a damaged shard was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(table_shard_name(2, 3)), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, NameIsZeroPadded) {
  EXPECT_EQ(checkpoint_name(3), "epoch-0003");
  EXPECT_EQ(checkpoint_name(12345), "epoch-12345");
  EXPECT_THROW(checkpoint_name(-1), Error);
}

TEST(Checkpoint, RoundTripsEveryFieldBitExactly) {
  TempDir tmp;
  const CheckpointState in = sample_state();
  const fs::path dir = write_checkpoint(tmp / "checkpoints", "epoch-0003", in);
  EXPECT_EQ(dir, tmp / "checkpoints" / "epoch-0003");
  EXPECT_EQ(names_in(dir),
            (std::vector<std::string>{"config.ini", "manifest.txt", "metrics.json", "model.pt",
                                      "optimizer.pt", "state.pt", "task.pt"}));
  EXPECT_EQ(names_in(tmp / "checkpoints"), std::vector<std::string>{"epoch-0003"});
  EXPECT_NO_THROW(verify_checkpoint(dir));

  const CheckpointState out = read_checkpoint(dir);
  ASSERT_EQ(out.model.size(), in.model.size());
  for (const auto& [name, tensor] : in.model) {
    ASSERT_TRUE(out.model.count(name)) << name;
    expect_same_tensor(tensor, out.model.at(name), name);
  }
  ASSERT_EQ(out.optimizer.size(), in.optimizer.size());
  for (const auto& [name, tensors] : in.optimizer) {
    ASSERT_TRUE(out.optimizer.count(name)) << name;
    ASSERT_EQ(out.optimizer.at(name).size(), tensors.size()) << name;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      expect_same_tensor(tensors[i], out.optimizer.at(name)[i], name);
    }
  }
  ASSERT_EQ(out.task.size(), in.task.size());
  for (const auto& [name, tensor] : in.task) expect_same_tensor(tensor, out.task.at(name), name);
  EXPECT_EQ(out.sampler, in.sampler);
  EXPECT_EQ(out.rng_states, in.rng_states);
  EXPECT_EQ(out.epoch, in.epoch);
  EXPECT_EQ(out.global_step, in.global_step);
  EXPECT_EQ(out.config_ini, in.config_ini);
  EXPECT_EQ(out.metrics_json, in.metrics_json);
  EXPECT_EQ(out.int_metadata, in.int_metadata);
  EXPECT_EQ(out.string_metadata, in.string_metadata);

  // Text files are stored as they are, readable without rsdist.
  EXPECT_EQ(read_file(dir / "config.ini"), in.config_ini);
  EXPECT_EQ(read_file(dir / "metrics.json"), in.metrics_json);
}

TEST(Checkpoint, SavedViewHoldsOnlyItsOwnElements) {
  TempDir tmp;
  CheckpointState small, sliced;
  small.model["w"] = at::arange(4, at::kFloat);
  sliced.model["w"] = at::arange(1000000, at::kFloat).slice(0, 0, 4);
  const auto a = write_checkpoint(tmp.path(), "epoch-0001", small);
  const auto b = write_checkpoint(tmp.path(), "epoch-0002", sliced);
  EXPECT_EQ(fs::file_size(a / "model.pt"), fs::file_size(b / "model.pt"));
}

TEST(Checkpoint, RewritingANameReplacesItWhole) {
  TempDir tmp;
  CheckpointState s = sample_state();
  write_checkpoint(tmp.path(), "epoch-0001", s);
  s.global_step = 99;
  s.model.clear();
  const auto dir = write_checkpoint(tmp.path(), "epoch-0001", s);
  const auto out = read_checkpoint(dir);
  EXPECT_EQ(out.global_step, 99);
  EXPECT_TRUE(out.model.empty());
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"epoch-0001"});
}

TEST(Checkpoint, RefusesBadNames) {
  TempDir tmp;
  for (const std::string name : {"", "best", ".hidden", "a/b", ".."}) {
    EXPECT_THROW(write_checkpoint(tmp.path(), name, CheckpointState{}), Error) << name;
  }
}

// ---- damage is refused ------------------------------------------------------------------------

TEST(Checkpoint, RefusesAFlippedByte) {
  TempDir tmp;
  for (const std::string file :
       {"model.pt", "optimizer.pt", "state.pt", "config.ini", "metrics.json"}) {
    const auto dir = write_checkpoint(tmp.path(), "epoch-0001", sample_state());
    flip_byte(dir / file, fs::file_size(dir / file) / 2);
    const std::string message = error_of([&] { read_checkpoint(dir); });
    EXPECT_NE(message.find("checkpoint '" + dir.string() + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("file " + file + " has SHA-256"), std::string::npos) << message;
    EXPECT_NE(message.find("corrupted"), std::string::npos) << message;
    EXPECT_THROW(verify_checkpoint(dir), Error) << file;
  }
}

TEST(Checkpoint, RefusesATruncatedFile) {
  TempDir tmp;
  const auto dir = write_checkpoint(tmp.path(), "epoch-0001", sample_state());
  const auto size = fs::file_size(dir / "model.pt");
  fs::resize_file(dir / "model.pt", size - 100);
  const std::string message = error_of([&] { read_checkpoint(dir); });
  EXPECT_NE(message.find(fmt::format("checkpoint '{}': file model.pt is {} bytes, manifest says {} "
                                     "(truncated?)",
                                     dir.string(), size - 100, size)),
            std::string::npos)
      << message;
}

TEST(Checkpoint, RefusesAMissingFile) {
  TempDir tmp;
  const auto dir = write_checkpoint(tmp.path(), "epoch-0001", sample_state());
  fs::remove(dir / "optimizer.pt");
  const std::string message = error_of([&] { read_checkpoint(dir); });
  EXPECT_NE(message.find("file optimizer.pt is listed in manifest.txt but missing"),
            std::string::npos)
      << message;
}

TEST(Checkpoint, ModelReadVerifiesTheModelAndLeavesTheOptimizerAlone) {
  TempDir tmp;
  const CheckpointState in = sample_state();
  const auto dir = write_checkpoint(tmp.path(), "epoch-0001", in);
  fs::remove(dir / "optimizer.pt");  // read_checkpoint refuses this; the model read never looks
  const CheckpointState out = read_checkpoint_model(dir);
  EXPECT_EQ(out.config_ini, in.config_ini);
  ASSERT_EQ(out.model.size(), in.model.size());
  for (const auto& [name, tensor] : in.model) {
    ASSERT_TRUE(out.model.count(name)) << name;
    expect_same_tensor(tensor, out.model.at(name), name);
  }
  EXPECT_TRUE(out.optimizer.empty());
  flip_byte(dir / "model.pt", fs::file_size(dir / "model.pt") / 2);
  const std::string message = error_of([&] { read_checkpoint_model(dir); });
  EXPECT_NE(message.find("file model.pt has SHA-256"), std::string::npos) << message;
}

TEST(Checkpoint, RefusesAMissingManifest) {
  TempDir tmp;
  const auto dir = write_checkpoint(tmp.path(), "epoch-0001", sample_state());
  fs::remove(dir / "manifest.txt");
  const std::string message = error_of([&] { read_checkpoint(dir); });
  EXPECT_NE(message.find("checkpoint '" + dir.string() + "' has no manifest.txt"),
            std::string::npos)
      << message;
  EXPECT_EQ(latest_checkpoint(tmp.path()), std::nullopt);
}

TEST(Checkpoint, RefusesATruncatedManifest) {
  TempDir tmp;
  const auto dir = write_checkpoint(tmp.path(), "epoch-0001", sample_state());
  const std::string manifest = read_file(dir / "manifest.txt");
  // Cut inside the last "file" line and exactly before the end line: both are refused.
  for (const std::size_t cut :
       {manifest.rfind("file ") + 20, manifest.rfind("end "), std::size_t{0}}) {
    std::ofstream(dir / "manifest.txt", std::ios::binary | std::ios::trunc)
        << manifest.substr(0, cut);
    const std::string message = error_of([&] { read_checkpoint(dir); });
    EXPECT_NE(message.find("manifest.txt"), std::string::npos) << message;
  }
}

TEST(Checkpoint, RefusesAMissingDirectory) {
  TempDir tmp;
  const std::string message = error_of([&] { read_checkpoint(tmp / "epoch-0042"); });
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

// ---- interrupted writes -----------------------------------------------------------------------

// Forks a writer that dies (_exit, no destructors, as under SIGKILL) at `stage` of writing
// epoch-0002, and returns its exit status.
int killed_write(const fs::path& checkpoints, const std::string& stage) {
  const CheckpointState state = sample_state();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::alarm(60);  // never let a stuck child hang the test run
    try {
      write_checkpoint(checkpoints, "epoch-0002", state,
                       [&](const fs::path&, const std::string& at) {
                         if (at == stage) ::_exit(0);
                       });
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(3);  // the hook never ran
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(Checkpoint, KilledWriteLeavesNothingThatLooksComplete) {
  for (const std::string stage : {"files", "manifest"}) {
    TempDir tmp;
    const fs::path checkpoints = tmp / "checkpoints";
    write_checkpoint(checkpoints, "epoch-0001", sample_state());
    const int status = killed_write(checkpoints, stage);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << stage << ": " << status;

    // The writer left its hidden staging directory behind, as a killed process would ...
    const auto names = names_in(checkpoints);
    ASSERT_EQ(names.size(), 2u) << stage;
    EXPECT_EQ(names[1], "epoch-0001");
    EXPECT_EQ(names[0].rfind(".epoch-0002.tmp-", 0), 0u) << names[0];
    // ... which is not taken for a checkpoint.
    EXPECT_FALSE(fs::exists(checkpoints / "epoch-0002"));
    EXPECT_EQ(latest_checkpoint(checkpoints), checkpoints / "epoch-0001") << stage;
    EXPECT_NO_THROW(read_checkpoint(checkpoints / "epoch-0001"));

    // The next write of the same checkpoint succeeds beside the leftover.
    write_checkpoint(checkpoints, "epoch-0002", sample_state());
    EXPECT_EQ(latest_checkpoint(checkpoints), checkpoints / "epoch-0002") << stage;
  }
}

TEST(Checkpoint, FailedWriteCleansUpAndRethrows) {
  TempDir tmp;
  write_checkpoint(tmp.path(), "epoch-0001", sample_state());
  EXPECT_THROW(write_checkpoint(tmp.path(), "epoch-0002", sample_state(),
                                [](const fs::path& staging, const std::string& stage) {
                                  EXPECT_TRUE(fs::exists(staging / "model.pt"));
                                  if (stage == "manifest") RSDIST_THROW("disk full (simulated)");
                                }),
               Error);
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"epoch-0001"});
}

TEST(Checkpoint, LatestIgnoresLeftoversAndIncompleteDirectories) {
  TempDir tmp;
  const fs::path c = tmp / "checkpoints";
  EXPECT_EQ(latest_checkpoint(c), std::nullopt);  // no directory yet
  write_checkpoint(c, "epoch-0001", sample_state());
  write_checkpoint(c, "epoch-0003", sample_state());
  write_checkpoint(c, "epoch-0002", sample_state());
  // A complete-looking directory under a staging name, an epoch without a manifest, names that
  // only resemble checkpoints, and a plain file.
  fs::copy(c / "epoch-0003", c / ".epoch-0009.tmp-123-0");
  fs::create_directories(c / "epoch-0007");
  tmp.write("checkpoints/epoch-0007/model.pt", "partial");
  for (const std::string name : {"epoch-", "epoch-abc", "epoch-+8", "epoch--8", "epoch-8x"}) {
    fs::copy(c / "epoch-0003", c / name);
  }
  tmp.write("checkpoints/epoch-0010", "not a directory");
  EXPECT_EQ(latest_checkpoint(c), c / "epoch-0003");

  // Numbers compare as numbers, not strings.
  write_checkpoint(c, "epoch-10000", sample_state());
  EXPECT_EQ(latest_checkpoint(c), c / "epoch-10000");
}

// ---- best -------------------------------------------------------------------------------------

TEST(Checkpoint, PromoteBestSwitchesTheLink) {
  TempDir tmp;
  const fs::path c = tmp / "checkpoints";
  write_checkpoint(c, "epoch-0001", sample_state());
  write_checkpoint(c, "epoch-0002", sample_state());
  EXPECT_EQ(resolve_best(c), std::nullopt);

  promote_best(c, "epoch-0001");
  EXPECT_EQ(resolve_best(c), c / "epoch-0001");
  promote_best(c, "epoch-0002");
  EXPECT_EQ(resolve_best(c), c / "epoch-0002");
  EXPECT_TRUE(fs::is_symlink(c / "best"));
  EXPECT_EQ(fs::read_symlink(c / "best"), fs::path("epoch-0002"));  // relative: runs can move
  EXPECT_NO_THROW(read_checkpoint(c / "best"));
  EXPECT_EQ(names_in(c), (std::vector<std::string>{"best", "epoch-0001", "epoch-0002"}));
  // `best` is no epoch for latest_checkpoint.
  EXPECT_EQ(latest_checkpoint(c), c / "epoch-0002");
}

TEST(Checkpoint, PruningKeepsTheNewestTheBestAndEveryNth) {
  TempDir tmp;
  const fs::path c = tmp / "checkpoints";
  for (int e = 1; e <= 7; ++e) write_checkpoint(c, checkpoint_name(e), sample_state());
  promote_best(c, "epoch-0002");
  prune_checkpoints(c, 2, 3);
  EXPECT_EQ(names_in(c), (std::vector<std::string>{"best", "epoch-0002", "epoch-0003",
                                                   "epoch-0006", "epoch-0007"}));
  prune_checkpoints(c, 1);
  EXPECT_EQ(names_in(c), (std::vector<std::string>{"best", "epoch-0002", "epoch-0007"}));
}

TEST(Checkpoint, BestNeverDisappearsWhileSwitching) {
  TempDir tmp;
  const fs::path c = tmp / "checkpoints";
  write_checkpoint(c, "epoch-0001", CheckpointState{});
  write_checkpoint(c, "epoch-0002", CheckpointState{});
  promote_best(c, "epoch-0001");
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, seen{0};
  std::thread reader([&] {
    while (!done.load()) {
      try {
        const auto best = resolve_best(c);
        if (!best || (*best != c / "epoch-0001" && *best != c / "epoch-0002")) ++bad;
      } catch (const Error&) {
        ++bad;
      }
      ++seen;
    }
  });
  for (int i = 0; i < 300; ++i) promote_best(c, i % 2 ? "epoch-0001" : "epoch-0002");
  while (seen.load() < 100) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(Checkpoint, PromoteAndResolveRefuseIncompleteTargets) {
  TempDir tmp;
  const fs::path c = tmp / "checkpoints";
  write_checkpoint(c, "epoch-0001", CheckpointState{});
  fs::create_directories(c / "epoch-0002");  // no manifest
  EXPECT_THROW(promote_best(c, "epoch-0002"), Error);
  EXPECT_THROW(promote_best(c, "epoch-0005"), Error);
  EXPECT_EQ(resolve_best(c), std::nullopt);

  promote_best(c, "epoch-0001");
  fs::remove_all(c / "epoch-0001");
  const std::string message = error_of([&] { resolve_best(c); });
  EXPECT_NE(message.find("missing or not a complete checkpoint"), std::string::npos) << message;
}

// ---- export for PyTorch -----------------------------------------------------------------------

std::string python_dtype(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return "torch.float32";
    case at::kDouble:
      return "torch.float64";
    case at::kHalf:
      return "torch.float16";
    case at::kBFloat16:
      return "torch.bfloat16";
    case at::kLong:
      return "torch.int64";
    case at::kInt:
      return "torch.int32";
    case at::kChar:
      return "torch.int8";
    case at::kByte:
      return "torch.uint8";
    case at::kBool:
      return "torch.bool";
    default:
      ADD_FAILURE() << "no Python name for " << type;
      return "?";
  }
}

// {"name": {"dtype": ..., "shape": [...], "hex": "<bytes>"}} for check_pytorch_export.py.
std::string expected_json(const std::map<std::string, at::Tensor>& tensors) {
  std::string json = "{";
  for (const auto& [name, tensor] : tensors) {
    std::string hex;
    for (const unsigned char byte : tensor_bytes(tensor)) hex += fmt::format("{:02x}", byte);
    json += fmt::format("{}\"{}\": {{\"dtype\": \"{}\", \"shape\": [{}], \"hex\": \"{}\"}}",
                        json.size() > 1 ? ", " : "", name, python_dtype(tensor.scalar_type()),
                        fmt::join(tensor.sizes(), ", "), hex);
  }
  return json + "}";
}

// Runs check_pytorch_export.py with `args` and returns its exit code.
int run_python_script(const std::vector<std::string>& args) {
  return rsdist::testing::run_python_script("tests/train/check_pytorch_export.py", args);
}

int run_python_check(const fs::path& weights, const fs::path& expected) {
  return run_python_script({weights.string(), expected.string()});
}

TEST(CheckpointExport, RoundTripsInCpp) {
  TempDir tmp;
  const auto tensors = sample_tensors();
  export_weights_for_pytorch(tmp / "out" / "weights.pt", tensors);
  EXPECT_EQ(names_in(tmp / "out"), std::vector<std::string>{"weights.pt"});  // no temporaries
  const auto back = read_exported_weights(tmp / "out" / "weights.pt");
  ASSERT_EQ(back.size(), tensors.size());
  for (const auto& [name, tensor] : tensors) expect_same_tensor(tensor, back.at(name), name);
}

TEST(CheckpointExport, PythonTorchLoadGetsTheSameTensors) {
  TempDir tmp;
  const auto tensors = sample_tensors();
  export_weights_for_pytorch(tmp / "weights.pt", tensors);
  tmp.write("expected.json", expected_json(tensors));
  EXPECT_EQ(run_python_check(tmp / "weights.pt", tmp / "expected.json"), 0);

  // A checkpoint's model.pt is the same kind of file.
  CheckpointState state;
  state.model = tensors;
  const auto dir = write_checkpoint(tmp / "checkpoints", "epoch-0001", state);
  EXPECT_EQ(run_python_check(dir / "model.pt", tmp / "expected.json"), 0);
  // The other archives of a checkpoint open as well (for inspection from Python).
  const auto full = write_checkpoint(tmp / "checkpoints", "epoch-0002", sample_state());
  EXPECT_EQ(run_python_script(
                {"--loads", (full / "optimizer.pt").string(), (full / "state.pt").string()}),
            0);
}

TEST(CheckpointExport, PythonCheckNoticesAMismatch) {
  // The comparison itself is tested: a wrong value must make the script fail.
  TempDir tmp;
  std::map<std::string, at::Tensor> tensors{{"w", at::arange(4, at::kFloat)}};
  export_weights_for_pytorch(tmp / "weights.pt", tensors);
  tensors["w"] = at::arange(1, 5, at::kFloat);
  tmp.write("expected.json", expected_json(tensors));
  EXPECT_EQ(run_python_check(tmp / "weights.pt", tmp / "expected.json"), 1);
}

}  // namespace
}  // namespace rsdist::train
