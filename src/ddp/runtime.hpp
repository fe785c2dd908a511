// Process setup for a data-parallel job: who launched us, which rank we are, which device we use,
// and the communicator gradients travel through.
//
// A single process is world size 1 of the same code path. Under mpirun/srun (or any world size
// > 1) MPI is initialised (thread level SERIALIZED); each rank binds CUDA device local_rank % count
// when CUDA devices exist. Backend `auto` picks NCCL for CUDA devices, MPI for CPU ranks, and the
// in-process communicator for a single unlaunched process.
#pragma once

#include <ATen/core/Tensor.h>

#include <chrono>
#include <memory>
#include <string>

#include "ddp/communicator.hpp"
#include "ddp/process_info.hpp"

namespace rsdist::ddp {

class MpiSession;
class InProcessGroup;

struct RuntimeOptions {
  std::string backend = "auto";  // auto | nccl | mpi | local
  std::chrono::milliseconds collective_timeout = std::chrono::minutes(10);
  bool use_cuda = true;          // false: stay on CPU even where GPUs exist
};

class Runtime {
 public:
  static std::unique_ptr<Runtime> start(const RuntimeOptions& options,
                                        const EnvLookup& env = process_environment());
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const ProcessInfo& info() const { return info_; }
  int rank() const { return info_.rank; }
  int world_size() const { return info_.world_size; }
  at::Device device() const { return device_; }
  Communicator& comm() { return *comm_; }
  const std::string& backend() const { return backend_; }

 private:
  Runtime() = default;

  ProcessInfo info_;
  at::Device device_{at::kCPU};
  std::string backend_;
  std::unique_ptr<MpiSession> mpi_;
  std::shared_ptr<InProcessGroup> local_group_;
  std::unique_ptr<Communicator> bootstrap_;  // MPI, also when NCCL carries the gradients
  std::unique_ptr<Communicator> comm_;
};

}  // namespace rsdist::ddp
