// Where this process stands in the job, read from the launcher's environment.
//
// Launchers: Open MPI's mpirun (OMPI_COMM_WORLD_*), Slurm's srun (SLURM_PROCID, ...), an MPICH-style
// PMI launcher (PMI_RANK, ...) or none (a plain single process, world size 1). Under mpirun inside a
// Slurm allocation both sets exist; mpirun's wins because it started the process. A pure function
// of the environment, so it is tested without launching anything; MpiSession refines local rank and
// node count from MPI itself when MPI is up.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace rsdist::ddp {

enum class Launcher { kNone, kOpenMpi, kSlurm, kPmi };

const char* launcher_name(Launcher launcher);

struct ProcessInfo {
  Launcher launcher = Launcher::kNone;
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;        // rank among the processes of this host
  int local_world_size = 1;  // processes on this host
  int node_count = 1;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment (std::getenv).
EnvLookup process_environment();

// Throws rsdist::Error naming the variable when a launcher variable is malformed.
ProcessInfo detect_process_info(const EnvLookup& env);

}  // namespace rsdist::ddp
