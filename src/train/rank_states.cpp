#include "train/rank_states.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/zeros.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/logger.h>

#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "ddp/communicator.hpp"

namespace rsdist::train {
namespace {

std::string rank_key(int rank, const std::string& name) {
  return fmt::format("rank-{}/{}", rank, name);
}

std::int64_t saved_world_size(const CheckpointState& state) {
  const auto it = state.int_metadata.find("world_size");
  return it == state.int_metadata.end() ? 0 : it->second;
}

std::string generator_bytes(at::Generator generator) {
  const at::Tensor s = generator.get_state().contiguous();
  return std::string(reinterpret_cast<const char*>(s.data_ptr()),
                     static_cast<std::size_t>(s.numel()));
}

void set_generator_bytes(at::Generator generator, const std::string& bytes) {
  at::Tensor s = at::empty({static_cast<std::int64_t>(bytes.size())}, at::kByte);
  std::memcpy(s.data_ptr(), bytes.data(), bytes.size());
  generator.set_state(s);  // a handle on the shared default state
}

// This rank's default generators: the CPU's, and its GPU's when it trains on one.
std::vector<std::pair<std::string, at::Generator>> rank_generators(at::Device device) {
  std::vector<std::pair<std::string, at::Generator>> out{
      {"cpu", at::detail::getDefaultCPUGenerator()}};
  if (device.is_cuda()) out.emplace_back("cuda", at::globalContext().defaultGenerator(device));
  return out;
}

// Row r of the result is rank r's `row` (every rank's has the same length), on the CPU.
at::Tensor gather_rows(ddp::Communicator& comm, const at::Tensor& row, at::Device device) {
  return comm.all_gather(row.to(device)).cpu().contiguous();
}

}  // namespace

std::map<std::string, std::string> gather_rng_states(ddp::Communicator& comm, at::Device device) {
  std::string row;
  std::vector<std::pair<std::string, std::size_t>> sizes;
  for (const auto& [name, generator] : rank_generators(device)) {
    const std::string bytes = generator_bytes(generator);
    sizes.emplace_back(name, bytes.size());
    row += bytes;
  }
  at::Tensor local = at::empty({static_cast<std::int64_t>(row.size())}, at::kByte);
  std::memcpy(local.data_ptr(), row.data(), row.size());
  // A generator kind's state has a fixed size, so every rank's row is as long.
  const at::Tensor rows = gather_rows(comm, local, device);
  std::map<std::string, std::string> states;
  for (int r = 0; r < comm.world_size(); ++r) {
    const char* p = reinterpret_cast<const char*>(rows[r].data_ptr());
    for (const auto& [name, size] : sizes) {
      states[rank_key(r, name)] = std::string(p, size);
      p += size;
    }
  }
  states["cpu"] = states.at(rank_key(0, "cpu"));
  return states;
}

void restore_rng_states(const CheckpointState& state, std::uint64_t seed, int rank, int world,
                        at::Device device, spdlog::logger& log) {
  const std::int64_t saved_world = saved_world_size(state);
  if (saved_world != world || !state.rng_states.count(rank_key(rank, "cpu"))) {
    // `log` is the job's root logger: it speaks on rank 0 only.
    log.warn(
        "--resume: the checkpoint holds the generator states of {} rank(s) and this job has {}: "
        "every rank's dropout stream is seeded afresh from (seed, rank, step {}), so the run "
        "continues, but not bit for bit as an uninterrupted run would",
        saved_world > 0 ? std::to_string(saved_world) : "an unknown number of", world,
        state.global_step);
    at::manual_seed(Rng::stream(seed, {static_cast<std::uint64_t>(rank),
                                       static_cast<std::uint64_t>(state.global_step)})
                        .next_u64());
    return;
  }
  for (const auto& [name, generator] : rank_generators(device)) {
    const auto it = state.rng_states.find(rank_key(rank, name));
    RSDIST_CHECK(it != state.rng_states.end(),
                 "--resume: the checkpoint holds no '{}' generator state for rank {} (a job on "
                 "another kind of device saved it)",
                 name, rank);
    set_generator_bytes(generator, it->second);
  }
}

std::int64_t restore_next_batch(const CheckpointState& state, int world, spdlog::logger& log) {
  const std::int64_t saved = saved_world_size(state), next = state.sampler.next_batch;
  if (next == 0 || saved == 0 || saved == world) return next;
  const std::int64_t converted = next * saved / world;
  log.warn("--resume: the step checkpoint was taken by {} rank(s) after {} batch(es) each of epoch "
           "{}; on {} rank(s) the epoch continues at batch {} of its new sharding",
           saved, next, state.sampler.epoch + 1, world, converted);
  return converted;
}

at::Tensor EpochLossSums::add(const StepLoss& step) {
  std::vector<at::Tensor> row{step.loss.detach().to(at::kDouble)};
  const bool first = !values.defined();
  for (const auto& [name, value] : step.parts) {
    if (first) parts.push_back(name);
    row.push_back(value.to(at::kDouble));
  }
  at::Tensor step_row = at::stack(row);
  values = first ? step_row : values + step_row;
  ++batches;
  return step_row;
}

at::Tensor EpochLossSums::means(at::Device device) const {
  if (!values.defined()) return at::zeros({1}, at::TensorOptions().dtype(at::kDouble).device(device));
  return values / static_cast<double>(batches);
}

void save_epoch_loss_sums(ddp::Communicator& comm, const EpochLossSums& sums,
                          CheckpointState& state) {
  if (!sums.values.defined()) return;  // the same on every rank: none has taken a batch yet
  const at::Tensor rows = gather_rows(comm, sums.values, sums.values.device());
  for (int r = 0; r < comm.world_size(); ++r) {
    std::vector<std::string> hex;
    for (std::int64_t i = 0; i < rows.size(1); ++i) {
      hex.push_back(fmt::format("{:a}", rows[r][i].item<double>()));
    }
    state.string_metadata[rank_key(r, "epoch_loss_sums")] = fmt::format("{}", fmt::join(hex, ","));
  }
  state.string_metadata["epoch_loss_parts"] = fmt::format("{}", fmt::join(sums.parts, ","));
  state.int_metadata["epoch_loss_batches"] = sums.batches;
}

EpochLossSums restore_epoch_loss_sums(const CheckpointState& state, int rank, int world,
                                      at::Device device) {
  EpochLossSums sums;
  const auto row = state.string_metadata.find(rank_key(rank, "epoch_loss_sums"));
  if (saved_world_size(state) != world || row == state.string_metadata.end()) return sums;
  std::vector<double> values;
  std::istringstream in(row->second);
  for (std::string item; std::getline(in, item, ',');) values.push_back(std::stod(item));
  std::istringstream names(state.string_metadata.at("epoch_loss_parts"));
  for (std::string name; std::getline(names, name, ',');) sums.parts.push_back(name);
  RSDIST_CHECK(values.size() == sums.parts.size() + 1,
               "--resume: the checkpoint's epoch loss sums of rank {} have {} values for {} parts",
               rank, values.size(), sums.parts.size());
  sums.values = at::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, at::kDouble)
                    .clone()
                    .to(device);
  sums.batches = state.int_metadata.at("epoch_loss_batches");
  return sums;
}

std::vector<CheckpointFile> write_table_shards(ddp::Communicator& comm, at::Device device,
                                               const std::filesystem::path& dir,
                                               std::int64_t logical_rows,
                                               const std::map<std::string, at::Tensor>& tensors) {
  const CheckpointFile mine =
      write_table_shard(dir, comm.rank(), comm.world_size(), logical_rows, tensors);
  // Each row: the size (8 bytes), then the 64 hex digits of the SHA-256.
  constexpr std::size_t kRow = 8 + 64;
  RSDIST_CHECK(mine.sha256.size() == 64, "a SHA-256 of {} hex digits", mine.sha256.size());
  at::Tensor local = at::empty({static_cast<std::int64_t>(kRow)}, at::kByte);
  const auto size = static_cast<std::uint64_t>(mine.size);
  std::memcpy(local.data_ptr(), &size, 8);
  std::memcpy(static_cast<char*>(local.data_ptr()) + 8, mine.sha256.data(), 64);
  const at::Tensor rows = gather_rows(comm, local, device);
  std::vector<CheckpointFile> files;
  if (comm.rank() != 0) return files;
  for (int r = 0; r < comm.world_size(); ++r) {
    const char* p = reinterpret_cast<const char*>(rows[r].data_ptr());
    CheckpointFile f;
    f.name = table_shard_name(r, comm.world_size());
    f.path = dir / f.name;
    std::uint64_t bytes = 0;
    std::memcpy(&bytes, p, 8);
    f.size = bytes;
    f.sha256.assign(p + 8, 64);
    files.push_back(std::move(f));
  }
  return files;
}

}  // namespace rsdist::train
