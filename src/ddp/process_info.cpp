#include "ddp/process_info.hpp"

#include <charconv>
#include <cstdlib>

#include "core/error.hpp"

namespace rsdist::ddp {
namespace {

int read_int(const EnvLookup& env, const std::string& name, int fallback) {
  const auto text = env(name);
  if (!text) return fallback;
  int value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  RSDIST_CHECK(!text->empty() && ec == std::errc() && ptr == end && value >= 0,
               "environment variable {}='{}' is not a non-negative integer", name, *text);
  return value;
}

ProcessInfo from(const EnvLookup& env, Launcher launcher, const char* rank, const char* size,
                 const char* local_rank, const char* local_size, const char* nodes) {
  ProcessInfo info;
  info.launcher = launcher;
  info.rank = read_int(env, rank, 0);
  info.world_size = read_int(env, size, 1);
  info.local_rank = local_rank ? read_int(env, local_rank, 0) : 0;
  info.local_world_size = local_size ? read_int(env, local_size, 1) : 1;
  info.node_count = nodes ? read_int(env, nodes, 1) : 1;
  if (!nodes && info.local_world_size > 0) {
    info.node_count = (info.world_size + info.local_world_size - 1) / info.local_world_size;
  }
  RSDIST_CHECK(info.world_size >= 1 && info.rank < info.world_size,
               "{} says rank {} of world size {}", launcher_name(launcher), info.rank,
               info.world_size);
  RSDIST_CHECK(info.local_rank < info.local_world_size || local_size == nullptr,
               "{} says local rank {} of {} local processes", launcher_name(launcher),
               info.local_rank, info.local_world_size);
  return info;
}

}  // namespace

const char* launcher_name(Launcher launcher) {
  switch (launcher) {
    case Launcher::kOpenMpi: return "Open MPI (mpirun)";
    case Launcher::kSlurm: return "Slurm (srun)";
    case Launcher::kPmi: return "PMI launcher";
    case Launcher::kNone: break;
  }
  return "none (single process)";
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

ProcessInfo detect_process_info(const EnvLookup& env) {
  if (env("OMPI_COMM_WORLD_RANK")) {
    return from(env, Launcher::kOpenMpi, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
                "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE", nullptr);
  }
  if (env("SLURM_PROCID") && env("SLURM_NTASKS")) {
    ProcessInfo info = from(env, Launcher::kSlurm, "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID",
                            nullptr, "SLURM_NNODES");
    // SLURM_NTASKS_PER_NODE may read "4(x2)"; the ranks on this host are known once MPI is up.
    info.local_world_size = info.world_size / std::max(1, info.node_count);
    return info;
  }
  if (env("PMI_RANK")) {
    return from(env, Launcher::kPmi, "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS",
                nullptr);
  }
  return ProcessInfo{};
}

}  // namespace rsdist::ddp
