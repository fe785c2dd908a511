#include "train/checkpoint.hpp"

#include <ATen/core/Dict.h>
#include <ATen/core/List.h>
#include <ATen/core/ivalue.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/zeros.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/error.hpp"
#include "core/fault_injection.hpp"
#include "core/staging.hpp"
#include "ddp/item_sharding.hpp"
#include "train/checkpoint_manifest.hpp"
#include "train/torch_pickle.hpp"

namespace rsdist::train {
namespace fs = std::filesystem;

namespace {

constexpr const char* kModelFile = "model.pt";
constexpr const char* kOptimizerFile = "optimizer.pt";
constexpr const char* kStateFile = "state.pt";
constexpr const char* kConfigFile = "config.ini";
constexpr const char* kMetricsFile = "metrics.json";
constexpr const char* kTaskFile = "task.pt";
constexpr const char* kStateFormat = "rsdist-checkpoint-state";
constexpr std::int64_t kStateVersion = 1;
constexpr std::string_view kEpochPrefix = "epoch-";

// A saved tensor holds exactly its own elements: detached (no autograd history), on the CPU (a
// CUDA location in the file would not load on a CPU-only machine) and contiguous. A view into a
// larger storage (a slice) is copied, since pickling it would write the whole storage.
at::Tensor storable(const at::Tensor& tensor, const std::string& name) {
  RSDIST_CHECK(tensor.defined(), "cannot save tensor '{}': it is undefined", name);
  RSDIST_CHECK(tensor.layout() == at::kStrided,
               "cannot save tensor '{}': only dense (strided) tensors are supported", name);
  at::Tensor t = tensor.detach().cpu().contiguous();
  if (t.storage_offset() != 0 || t.storage().nbytes() != t.nbytes()) t = t.clone();
  return t;
}

c10::impl::GenericDict string_dict() {
  return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
}

c10::impl::GenericDict tensor_dict(const std::map<std::string, at::Tensor>& tensors) {
  auto dict = string_dict();
  for (const auto& [name, tensor] : tensors) dict.insert(name, storable(tensor, name));
  return dict;
}

at::Tensor bytes_tensor(const std::string& bytes) {
  at::Tensor t = at::empty({static_cast<std::int64_t>(bytes.size())}, at::kByte);
  if (!bytes.empty()) std::memcpy(t.data_ptr<std::uint8_t>(), bytes.data(), bytes.size());
  return t;
}

std::string state_bytes(const CheckpointState& state) {
  auto dict = string_dict();
  dict.insert("format", std::string(kStateFormat));
  dict.insert("version", kStateVersion);
  dict.insert("epoch", state.epoch);
  dict.insert("global_step", state.global_step);
  dict.insert("sampler_epoch", state.sampler.epoch);
  dict.insert("sampler_next_batch", state.sampler.next_batch);
  // Generator states are arbitrary bytes; as uint8 tensors they survive the pickle exactly (a
  // pickled str is meant to be UTF-8).
  auto rng = string_dict();
  for (const auto& [name, bytes] : state.rng_states) rng.insert(name, bytes_tensor(bytes));
  dict.insert("rng_states", rng);
  auto ints = string_dict();
  for (const auto& [key, value] : state.int_metadata) ints.insert(key, value);
  dict.insert("int_metadata", ints);
  auto strings = string_dict();
  for (const auto& [key, value] : state.string_metadata) strings.insert(key, value);
  dict.insert("string_metadata", strings);
  return pickle_for_python(dict);
}

// Unpickles one verified file; torch's errors become rsdist errors naming the file.
c10::IValue unpickle_file(const fs::path& checkpoint, const std::string& name,
                          const std::string& bytes) {
  try {
    return unpickle_archive(bytes);
  } catch (const c10::Error& e) {
    RSDIST_THROW("{}: cannot read {}: {}", checkpoint_where(checkpoint), name,
                 e.what_without_backtrace());
  }
}

c10::impl::GenericDict as_dict(const fs::path& checkpoint, const std::string& file,
                               const c10::IValue& value, const std::string& what) {
  RSDIST_CHECK(value.isGenericDict(), "{}: {} in {} is not a dict", checkpoint_where(checkpoint),
               what, file);
  return value.toGenericDict();
}

at::Tensor as_tensor(const fs::path& checkpoint, const std::string& file, const c10::IValue& value,
                     const std::string& key) {
  RSDIST_CHECK(value.isTensor(), "{}: {} entry '{}' is not a tensor", checkpoint_where(checkpoint),
               file, key);
  return value.toTensor();
}

std::map<std::string, at::Tensor> tensors_from(const fs::path& checkpoint, const std::string& file,
                                               const c10::IValue& value) {
  std::map<std::string, at::Tensor> tensors;
  for (const auto& item : as_dict(checkpoint, file, value, "the top level")) {
    const std::string& key = item.key().toStringRef();
    tensors.emplace(key, as_tensor(checkpoint, file, item.value(), key));
  }
  return tensors;
}

std::int64_t int_field(const fs::path& checkpoint, const c10::impl::GenericDict& dict,
                       const std::string& key) {
  const auto it = dict.find(key);
  RSDIST_CHECK(it != dict.end() && it->value().isInt(), "{}: {} has no integer '{}'",
               checkpoint_where(checkpoint), kStateFile, key);
  return it->value().toInt();
}

c10::impl::GenericDict dict_field(const fs::path& checkpoint, const c10::impl::GenericDict& dict,
                                  const std::string& key) {
  const auto it = dict.find(key);
  RSDIST_CHECK(it != dict.end(), "{}: {} has no '{}'", checkpoint_where(checkpoint), kStateFile,
               key);
  return as_dict(checkpoint, kStateFile, it->value(), "'" + key + "'");
}

void load_state(const fs::path& checkpoint, const c10::IValue& value, CheckpointState& state) {
  const auto dict = as_dict(checkpoint, kStateFile, value, "the top level");
  const auto format = dict.find("format");
  RSDIST_CHECK(format != dict.end() && format->value().isString() &&
                   format->value().toStringRef() == kStateFormat,
               "{}: {} is not an rsdist checkpoint state", checkpoint_where(checkpoint),
               kStateFile);
  const auto version = int_field(checkpoint, dict, "version");
  RSDIST_CHECK(version == kStateVersion, "{}: {} has version {}; this build reads version {}",
               checkpoint_where(checkpoint), kStateFile, version, kStateVersion);
  state.epoch = int_field(checkpoint, dict, "epoch");
  state.global_step = int_field(checkpoint, dict, "global_step");
  state.sampler.epoch = int_field(checkpoint, dict, "sampler_epoch");
  state.sampler.next_batch = int_field(checkpoint, dict, "sampler_next_batch");
  for (const auto& item : dict_field(checkpoint, dict, "rng_states")) {
    const std::string& key = item.key().toStringRef();
    const at::Tensor t = as_tensor(checkpoint, kStateFile, item.value(), key).contiguous();
    RSDIST_CHECK(t.scalar_type() == at::kByte && t.dim() == 1,
                 "{}: RNG state '{}' in {} is not a byte vector", checkpoint_where(checkpoint), key,
                 kStateFile);
    state.rng_states.emplace(key, std::string(reinterpret_cast<const char*>(t.data_ptr()),
                                              static_cast<std::size_t>(t.numel())));
  }
  const auto ints = dict_field(checkpoint, dict, "int_metadata");
  for (const auto& item : ints) {
    state.int_metadata.emplace(item.key().toStringRef(),
                               int_field(checkpoint, ints, item.key().toStringRef()));
  }
  for (const auto& item : dict_field(checkpoint, dict, "string_metadata")) {
    RSDIST_CHECK(item.value().isString(), "{}: string metadata '{}' in {} is not a string",
                 checkpoint_where(checkpoint), item.key().toStringRef(), kStateFile);
    state.string_metadata.emplace(item.key().toStringRef(), item.value().toStringRef());
  }
}

constexpr std::string_view kShardPrefix = "table-shard-";
constexpr const char* kModelKey = "model/";
constexpr const char* kOptimizerKey = "optimizer/";
constexpr const char* kLogicalRowsKey = "logical_rows";

bool is_table_shard(const std::string& name) { return name.rfind(kShardPrefix, 0) == 0; }

// read_table_shards on a manifest already read.
std::map<std::string, at::Tensor> table_shards_of(const fs::path& checkpoint_dir,
                                                  const std::vector<ManifestEntry>& entries,
                                                  int rank, int world) {
  RSDIST_CHECK(world >= 1 && rank >= 0 && rank < world, "rank {} of {}", rank, world);
  std::vector<const ManifestEntry*> shards;
  for (const auto& e : entries) {
    if (is_table_shard(e.name)) shards.push_back(&e);
  }
  std::map<std::string, at::Tensor> out;
  if (shards.empty()) return out;
  const auto saved_world = static_cast<int>(shards.size());
  for (int s = 0; s < saved_world; ++s) {
    const ManifestEntry& entry =
        entry_for(checkpoint_dir, entries, table_shard_name(s, saved_world));
    const std::map<std::string, at::Tensor> part = tensors_from(
        checkpoint_dir, entry.name,
        unpickle_file(checkpoint_dir, entry.name, read_verified(checkpoint_dir, entry)));
    const auto rows = part.find(kLogicalRowsKey);
    RSDIST_CHECK(rows != part.end(), "{}: {} lacks '{}'", checkpoint_where(checkpoint_dir),
                 entry.name, kLogicalRowsKey);
    const std::int64_t logical = rows->second.item<std::int64_t>();
    const std::int64_t saved_rows = ddp::ItemSharding{logical, s, saved_world}.local_rows();
    const std::int64_t local_rows = ddp::ItemSharding{logical, rank, world}.local_rows();
    // Row j of shard s is logical row s + j * saved_world; this rank keeps those that are
    // rank modulo world, at local row (logical row) / world.
    const at::Tensor logical_ids =
        at::arange(saved_rows, at::kLong).mul(saved_world).add(s);
    const at::Tensor keep = logical_ids.remainder(world).eq(rank).nonzero().squeeze(1);
    const at::Tensor local = logical_ids.index_select(0, keep).div(world, "floor");
    for (const auto& [key, tensor] : part) {
      if (key == kLogicalRowsKey) continue;
      if (tensor.dim() == 0) {  // the same on every rank
        if (s == 0) out[key] = tensor;
        continue;
      }
      RSDIST_CHECK(tensor.size(0) == saved_rows,
                   "{}: {} entry '{}' has {} rows; shard {} of {} of a {}-row table has {}",
                   checkpoint_where(checkpoint_dir), entry.name, key, tensor.size(0), s,
                   saved_world, logical, saved_rows);
      auto [it, fresh] = out.try_emplace(key);
      if (fresh) {
        std::vector<std::int64_t> shape = tensor.sizes().vec();
        shape[0] = local_rows;
        it->second = at::zeros(shape, tensor.options());
      }
      it->second.index_copy_(0, local, tensor.index_select(0, keep));
    }
  }
  return out;
}

// Merges this rank's rows of the checkpoint's sharded tables into `state` (Note [Sharded tables
// in a checkpoint]).
void add_table_shards(const fs::path& checkpoint_dir, const std::vector<ManifestEntry>& entries,
                      int rank, int world, CheckpointState& state, bool optimizer) {
  for (auto& [key, tensor] : table_shards_of(checkpoint_dir, entries, rank, world)) {
    if (key.rfind(kModelKey, 0) == 0) {
      state.model[key.substr(std::strlen(kModelKey))] = std::move(tensor);
    } else if (optimizer && key.rfind(kOptimizerKey, 0) == 0) {
      state.optimizer[key.substr(std::strlen(kOptimizerKey))] = {std::move(tensor)};
    }
  }
}

// task.pt, written since tasks have state of their own; a checkpoint of an older build has none.
std::map<std::string, at::Tensor> task_state(const fs::path& checkpoint,
                                             const std::vector<ManifestEntry>& entries) {
  const auto it = std::find_if(entries.begin(), entries.end(),
                               [](const ManifestEntry& e) { return e.name == kTaskFile; });
  if (it == entries.end()) return {};
  return tensors_from(checkpoint, kTaskFile,
                      unpickle_file(checkpoint, kTaskFile, read_verified(checkpoint, *it)));
}

bool is_complete_checkpoint(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::is_regular_file(dir / kManifestFile, ec);
}

}  // namespace

std::int64_t epoch_number(const std::string& name) {
  if (name.size() <= kEpochPrefix.size() || name.compare(0, kEpochPrefix.size(), kEpochPrefix)) {
    return -1;
  }
  std::int64_t number = -1;
  const char* first = name.data() + kEpochPrefix.size();
  const char* last = name.data() + name.size();
  const auto [end, ec] = std::from_chars(first, last, number);
  return ec == std::errc() && end == last && *first != '-' && *first != '+' ? number : -1;
}


std::string checkpoint_name(std::int64_t epoch) {
  RSDIST_CHECK(epoch >= 0, "checkpoint epoch must be >= 0, got {}", epoch);
  return fmt::format("{}{:04d}", kEpochPrefix, epoch);
}

fs::path write_checkpoint(const fs::path& checkpoints_dir, const std::string& name,
                          const CheckpointState& state, const CheckpointWriteHook& hook) {
  RSDIST_CHECK(plain_file_name(name) && name.front() != '.' && name != "best",
               "invalid checkpoint name '{}': a plain directory name, not hidden and not 'best'",
               name);
  std::error_code ec;
  fs::create_directories(checkpoints_dir, ec);
  RSDIST_CHECK(!ec, "cannot create '{}': {}", checkpoints_dir.string(), ec.message());

  StagingDirectory staging(checkpoints_dir / name, /*overwrite=*/true);
  std::vector<ManifestEntry> entries;
  const auto put = [&](const char* file, const std::string& bytes) {
    write_plain_file(staging.path() / file, bytes);
    entries.push_back(manifest_entry(file, bytes));
  };
  put(kModelFile, pickle_for_python(tensor_dict(state.model)));
  {
    auto optimizer = string_dict();
    for (const auto& [key, tensors] : state.optimizer) {
      // An Any-typed list: a Tensor-typed one pickles as torch.jit._pickle.build_tensorlist,
      // which torch.load(weights_only=True) refuses.
      c10::impl::GenericList list(c10::AnyType::get());
      for (std::size_t i = 0; i < tensors.size(); ++i) {
        list.push_back(storable(tensors[i], fmt::format("{}[{}]", key, i)));
      }
      optimizer.insert(key, list);
    }
    put(kOptimizerFile, pickle_for_python(optimizer));
  }
  put(kTaskFile, pickle_for_python(tensor_dict(state.task)));
  put(kStateFile, state_bytes(state));
  put(kConfigFile, state.config_ini);
  put(kMetricsFile, state.metrics_json);
  for (const CheckpointFile& file : state.extra_files) {  // Note [Sharded tables in a checkpoint]
    RSDIST_CHECK(plain_file_name(file.name), "invalid checkpoint file name '{}'", file.name);
    fs::rename(file.path, staging.path() / file.name, ec);
    RSDIST_CHECK(!ec, "cannot move '{}' into checkpoint '{}': {}", file.path.string(),
                 staging.path().string(), ec.message());
    entries.push_back({file.name, file.size, file.sha256});
  }
  if (hook) hook(staging.path(), "files");
  fault_point(FaultPoint::kCheckpointWrite, 0);  // rank 0 is the one writer
  // The manifest comes last: a directory without one is never taken for a checkpoint.
  write_plain_file(staging.path() / kManifestFile, manifest_text(entries));
  if (hook) hook(staging.path(), "manifest");
  staging.commit();  // fsyncs every file and the directory, then renames into place
  return staging.destination();
}

void verify_checkpoint(const fs::path& checkpoint_dir) {
  const auto entries = read_manifest(checkpoint_dir);
  check_sizes(checkpoint_dir, entries);
  for (const auto& e : entries) read_verified(checkpoint_dir, e);
}

CheckpointState read_checkpoint(const fs::path& checkpoint_dir, int rank, int world) {
  const auto entries = read_manifest(checkpoint_dir);
  for (const char* required : {kModelFile, kOptimizerFile, kStateFile, kConfigFile, kMetricsFile}) {
    entry_for(checkpoint_dir, entries, required);
  }
  check_sizes(checkpoint_dir, entries);
  // Every listed file is verified before any is parsed, one at a time so that at most one file's
  // bytes are held besides the tensors already loaded.
  for (const auto& e : entries) {
    if (e.name != kModelFile && e.name != kOptimizerFile && e.name != kTaskFile &&
        !is_table_shard(e.name)) {  // those are verified as they are read
      read_verified(checkpoint_dir, e);
    }
  }
  const auto bytes_of = [&](const char* file) {
    return read_verified(checkpoint_dir, entry_for(checkpoint_dir, entries, file));
  };

  CheckpointState state;
  state.config_ini = bytes_of(kConfigFile);
  state.metrics_json = bytes_of(kMetricsFile);
  load_state(checkpoint_dir, unpickle_file(checkpoint_dir, kStateFile, bytes_of(kStateFile)),
             state);
  state.model = tensors_from(checkpoint_dir, kModelFile,
                             unpickle_file(checkpoint_dir, kModelFile, bytes_of(kModelFile)));
  const auto optimizer = unpickle_file(checkpoint_dir, kOptimizerFile, bytes_of(kOptimizerFile));
  for (const auto& item : as_dict(checkpoint_dir, kOptimizerFile, optimizer, "the top level")) {
    const std::string& key = item.key().toStringRef();
    RSDIST_CHECK(item.value().isList(), "{}: {} entry '{}' is not a list of tensors",
                 checkpoint_where(checkpoint_dir), kOptimizerFile, key);
    std::vector<at::Tensor> tensors;
    for (const c10::IValue& element : item.value().toListRef()) {
      tensors.push_back(as_tensor(checkpoint_dir, kOptimizerFile, element, key));
    }
    state.optimizer.emplace(key, std::move(tensors));
  }
  state.task = task_state(checkpoint_dir, entries);
  add_table_shards(checkpoint_dir, entries, rank, world, state, /*optimizer=*/true);
  return state;
}

CheckpointState read_checkpoint_model(const fs::path& checkpoint_dir, int rank, int world) {
  const auto entries = read_manifest(checkpoint_dir);
  const auto bytes_of = [&](const char* file) {
    return read_verified(checkpoint_dir, entry_for(checkpoint_dir, entries, file));
  };
  CheckpointState state;
  state.config_ini = bytes_of(kConfigFile);
  state.model = tensors_from(checkpoint_dir, kModelFile,
                             unpickle_file(checkpoint_dir, kModelFile, bytes_of(kModelFile)));
  state.task = task_state(checkpoint_dir, entries);
  add_table_shards(checkpoint_dir, entries, rank, world, state, /*optimizer=*/false);
  return state;
}

CheckpointState read_checkpoint_progress(const fs::path& checkpoint_dir) {
  const auto entries = read_manifest(checkpoint_dir);
  CheckpointState state;
  load_state(
      checkpoint_dir,
      unpickle_file(checkpoint_dir, kStateFile,
                    read_verified(checkpoint_dir, entry_for(checkpoint_dir, entries, kStateFile))),
      state);
  return state;
}

void promote_best(const fs::path& checkpoints_dir, const std::string& name) {
  RSDIST_CHECK(plain_file_name(name) && name != "best", "invalid checkpoint name '{}'", name);
  RSDIST_CHECK(is_complete_checkpoint(checkpoints_dir / name),
               "cannot promote '{}' to best: it is not a complete checkpoint",
               (checkpoints_dir / name).string());
  const fs::path best = checkpoints_dir / "best";
  // A fresh temporary name without shared counters: try until the symlink call succeeds.
  fs::path temp;
  std::error_code ec;
  for (int attempt = 0;; ++attempt) {
    temp = checkpoints_dir / fmt::format(".best.tmp-{}-{}", static_cast<long>(::getpid()), attempt);
    fs::create_symlink(name, temp, ec);  // relative: the run directory may be moved as a whole
    if (!ec) break;
    RSDIST_CHECK(ec == std::errc::file_exists && attempt < 1000, "cannot create link '{}': {}",
                 temp.string(), ec.message());
  }
  fs::rename(temp, best, ec);  // rename(2) replaces an existing link atomically
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    RSDIST_THROW("cannot make '{}' point at '{}': {}", best.string(), name, ec.message());
  }
  fsync_path(checkpoints_dir);
}

std::optional<fs::path> resolve_best(const fs::path& checkpoints_dir) {
  const fs::path best = checkpoints_dir / "best";
  std::error_code ec;
  const auto status = fs::symlink_status(best, ec);
  if (!fs::exists(status)) return std::nullopt;
  fs::path target = best;
  if (fs::is_symlink(status)) {
    const fs::path link = fs::read_symlink(best, ec);
    RSDIST_CHECK(!ec, "cannot read link '{}': {}", best.string(), ec.message());
    target = link.is_absolute() ? link : checkpoints_dir / link;
  }
  RSDIST_CHECK(is_complete_checkpoint(target),
               "'{}' points at '{}', which is missing or not a complete checkpoint", best.string(),
               target.string());
  return target;
}

std::optional<fs::path> latest_checkpoint(const fs::path& checkpoints_dir) {
  std::error_code ec;
  if (!fs::is_directory(checkpoints_dir, ec)) return std::nullopt;
  std::optional<fs::path> latest;
  std::int64_t latest_number = -1;
  for (const auto& entry : fs::directory_iterator(checkpoints_dir)) {
    const std::int64_t number = epoch_number(entry.path().filename().string());
    if (number > latest_number && is_complete_checkpoint(entry.path())) {
      latest_number = number;
      latest = entry.path();
    }
  }
  return latest;
}

void export_weights_for_pytorch(const fs::path& path,
                                const std::map<std::string, at::Tensor>& tensors) {
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    RSDIST_CHECK(!ec, "cannot create '{}': {}", path.parent_path().string(), ec.message());
  }
  write_file_atomically(path, pickle_for_python(tensor_dict(tensors)));
}

std::map<std::string, at::Tensor> read_exported_weights(const fs::path& path) {
  const std::string bytes = read_whole_file(path);
  try {
    return tensors_from(path, path.filename().string(), unpickle_archive(bytes));
  } catch (const c10::Error& e) {
    RSDIST_THROW("cannot read exported weights '{}': {}", path.string(),
                 e.what_without_backtrace());
  }
}

std::string table_shard_name(int rank, int world) {
  return fmt::format("{}{:04d}-of-{:04d}.pt", kShardPrefix, rank, world);
}

CheckpointFile write_table_shard(const fs::path& dir, int rank, int world,
                                 std::int64_t logical_rows,
                                 const std::map<std::string, at::Tensor>& tensors) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  RSDIST_CHECK(!ec, "cannot create '{}': {}", dir.string(), ec.message());
  std::map<std::string, at::Tensor> all = tensors;
  all[kLogicalRowsKey] = at::scalar_tensor(logical_rows, at::kLong);
  const std::string name = table_shard_name(rank, world);
  const std::string bytes = pickle_for_python(tensor_dict(all));
  write_plain_file(dir / name, bytes);
  const ManifestEntry entry = manifest_entry(name, bytes);
  return {dir / name, name, entry.size, entry.sha256};
}

std::map<std::string, at::Tensor> read_table_shards(const fs::path& checkpoint_dir, int rank,
                                                    int world) {
  return table_shards_of(checkpoint_dir, read_manifest(checkpoint_dir), rank, world);
}

}  // namespace rsdist::train
