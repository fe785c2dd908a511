#include "ddp/runtime.hpp"

#include "core/error.hpp"
#include "ddp/backends.hpp"
#include "ddp/in_process_communicator.hpp"
#include "ddp/mpi_session.hpp"
#include "ddp/nccl_communicator.hpp"

namespace rsdist::ddp {

std::unique_ptr<Runtime> Runtime::start(const RuntimeOptions& options, const EnvLookup& env) {
  const std::string& backend = options.backend;
  RSDIST_CHECK(backend == "auto" || backend == "nccl" || backend == "mpi" || backend == "local",
               "unknown backend '{}': expected auto, nccl, mpi or local", backend);
  std::unique_ptr<Runtime> rt(new Runtime());
  rt->info_ = detect_process_info(env);
  const bool launched = rt->info_.launcher != Launcher::kNone || rt->info_.world_size > 1;
  if (launched || backend == "mpi" || backend == "nccl") {
    if (backend == "local") {
      RSDIST_CHECK(rt->info_.world_size == 1,
                   "backend 'local' runs one process, but {} started {} ranks",
                   launcher_name(rt->info_.launcher), rt->info_.world_size);
    } else {
      rt->mpi_ = MpiSession::initialize();  // throws "built without MPI" where it is missing
      rt->info_ = rt->mpi_->info();
    }
  }

  const int devices = options.use_cuda ? cuda_device_count() : 0;
  if (devices > 0) {
    const int device = rt->info_.local_rank % devices;
    bind_cuda_device(device);
    rt->device_ = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device));
  }

  std::string chosen = backend;
  if (chosen == "auto") {
    chosen = rt->device_.is_cuda() && rt->mpi_ ? "nccl" : (rt->mpi_ ? "mpi" : "local");
    if (chosen == "nccl") {
      try {
        require_backend("nccl");
      } catch (const Error&) {
        RSDIST_THROW("{} ranks on CUDA devices need NCCL, but rsdist was built without it "
                     "(RSDIST_WITH_NCCL=OFF); rebuild with NCCL or pass --backend mpi with "
                     "CPU tensors",
                     rt->info_.world_size);
      }
    }
  }
  if (chosen == "nccl") {
    RSDIST_CHECK(rt->device_.is_cuda(), "backend 'nccl' needs a CUDA device, and none is visible");
  }
  if (chosen == "mpi" && rt->device_.is_cuda()) {
    // MPI collectives here run on CPU tensors; the trainer keeps the model on CPU.
    rt->device_ = at::Device(at::kCPU);
  }
  rt->backend_ = chosen;
  if (chosen == "local") {
    rt->local_group_ = InProcessGroup::create(1, options.collective_timeout);
    rt->comm_ = rt->local_group_->communicator(0);
  } else {
    rt->bootstrap_ = rt->mpi_->communicator(options.collective_timeout);
    if (chosen == "nccl") {
      rt->comm_ = make_nccl_communicator(*rt->bootstrap_, rt->device_.index(),
                                         options.collective_timeout);
    } else {
      rt->comm_ = rt->mpi_->communicator(options.collective_timeout);
    }
  }
  return rt;
}

Runtime::~Runtime() {
  // Communicators first: they must be gone before MPI is finalised.
  comm_.reset();
  bootstrap_.reset();
  mpi_.reset();
}

}  // namespace rsdist::ddp
